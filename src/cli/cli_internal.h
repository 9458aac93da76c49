// Shared by the files of the `patron` command line: each command group
// (import, segment, identity, model, ...) lives in its own file and adds its
// sub-commands through an Add...Commands function declared here.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/core.h"
#include "store/store.h"

namespace CLI {
class App;
}

namespace patron::cli {

// Options every command sees; filled by the parser before any action runs.
struct GlobalOptions {
  std::string db_path;
  bool json = false;
};

// What the chosen sub-command does; set from its CLI11 callback and run after
// parsing. Returns the process exit code (0 ok, 1 failure, 2 usage).
using Action = std::function<int()>;

// Command groups. Each adds its sub-commands to `app`; the chosen one stores
// its work in `action`. `globals` is read only when the action runs.
void AddSegmentCommands(CLI::App& app, const GlobalOptions& globals, Action& action);
void AddIdentityCommands(CLI::App& app, const GlobalOptions& globals, Action& action);
void AddModelCommands(CLI::App& app, const GlobalOptions& globals, Action& action);
void AddCampaignCommands(CLI::App& app, const GlobalOptions& globals, Action& action);
void AddJourneyCommands(CLI::App& app, const GlobalOptions& globals, Action& action);
// report kpis|cohorts|campaigns|funnel|weekly|costs (report_commands.cc).
void AddReportCommands(CLI::App& app, const GlobalOptions& globals, Action& action);
void AddServeCommand(CLI::App& app, const GlobalOptions& globals, Action& action);
// user, key, audit (access_commands.cc).
void AddAccessCommands(CLI::App& app, const GlobalOptions& globals, Action& action);
// customer export, customer erase: added to the `customer` command of cli.cc.
void AddCustomerPrivacyCommands(CLI::App& customer, const GlobalOptions& globals, Action& action);

// Appends an audit entry for a command run from the shell: actor "cli:$USER",
// origin "cli". `detail` is a JSON object of ids and field names, or empty.
Status AuditFromCli(Database& db, std::string action, std::string target_type, std::string target_id,
                    std::optional<int64_t> customer_id = std::nullopt, std::string detail = {});
// `quality report` and `quality reverify`, under the `quality` command.
void AddQualityCommands(CLI::App& quality, const GlobalOptions& globals, Action& action);

std::string DefaultDbPath();

// Prints "patron: <status>" to stderr and returns exit code 1.
int Fail(const Status& s);

Result<std::unique_ptr<Database>> OpenDb(const std::string& path);

// Formats integer minor units with the currency's number of decimals.
std::string Money(int64_t minor, const std::string& currency);

// A one-line progress bar on stderr, drawn only when stderr is a terminal.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  ~ProgressBar() { Done(); }
  // `done` and `total` in bytes (total 0 when unknown).
  void Update(uint64_t done, uint64_t total);
  // Counts of items instead of bytes.
  void UpdateCount(uint64_t done, uint64_t total);
  void Done();

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace patron::cli
