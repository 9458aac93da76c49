// Helpers shared by the full snapshot build (snapshot.cc) and the incremental
// one (delta.cc). Not part of the engine's public interface.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.h"
#include "store/store.h"

namespace patron::engine::internal {

// Sets a text or numeric column value from a statement column (NULL leaves it).
void SetValue(Column& column, uint32_t row, const Statement& q, int col);
// Sets a column value to missing.
void ClearValue(Column& column, uint32_t row);
// Sizes a column of `type` for `rows` rows, all missing.
void Allocate(Column& column, ValueType type, size_t rows);
// Grows a column to `rows` rows; the new ones are missing.
void Extend(Column& column, size_t rows);
double MajorUnits(int64_t minor, uint32_t digits);

// The profile columns in the order the engine-customers queries list them
// (statement columns 1..).
inline constexpr std::string_view kCustomerQueryOrder[] = {
    "given_name", "family_name", "full_name", "salutation", "gender", "birth_date", "marital_status",
    "education", "income_band", "household_size", "language", "time_zone", "city", "region", "country",
    "acquisition_channel", "lifecycle_stage", "source", "created_at", "updated_at"};

// Event-property columns persisted beside the snapshot file, one file per key
// (DB.engine.property.HEX(key)): the rebuild generation they were read at and
// the code of every event id up to the largest they cover, so that a later
// process (or a restarted server) need not read every event's JSON again.
std::string PropertyCachePath(const std::string& db_path, std::string_view key);
// Fills `column` (codes sized to the snapshot's events) from the cache of `key`
// when it is intact and of `rebuild_generation`; returns the largest event id
// it covered (at most `max_event_id`), 0 when there is no usable cache.
int64_t LoadPropertyCache(const std::string& db_path, std::string_view key, int64_t rebuild_generation,
                          int64_t max_event_id, std::span<const uint32_t> event_position, PropertyColumn* column);
// Writes the cache of `key` (best effort: a failure leaves no file).
void SavePropertyCache(const std::string& db_path, std::string_view key, int64_t rebuild_generation,
                       int64_t max_event_id, std::span<const uint32_t> event_position, const PropertyColumn& column);
// Removes the property caches beside the snapshot file `snapshot_path`; with
// `keep_generation`, all but those of that rebuild generation. Events deleted
// by an erasure bump the generation: their values go with the next snapshot.
void RemovePropertyCaches(const std::string& snapshot_path, std::optional<int64_t> keep_generation);

}  // namespace patron::engine::internal
