// Transports: where each channel's messages go.
#include <cstdlib>

#include "campaign/campaign.h"

namespace patron::campaign {

Result<std::unique_ptr<Transport>> MakeTransport(Database& db, const Campaign& c, const TransportConfig& config) {
  switch (c.channel) {
    case Channel::kCallList:
    case Channel::kMailList: {
      if (config.list_path.empty())
        return InvalidArgument("a " + std::string(ChannelName(c.channel)) + " campaign writes a CSV file: give --out FILE");
      auto t = MakeCsvListTransport(db, config.list_path);
      if (!t) return IoError("cannot write '" + config.list_path + "'");
      return t;
    }
    default:
      return FailedPrecondition("no transport for channel " + std::string(ChannelName(c.channel)) + " yet");
  }
}

}  // namespace patron::campaign
