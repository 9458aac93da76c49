// Helpers shared by the full snapshot build (snapshot.cc) and the incremental
// one (delta.cc). Not part of the engine's public interface.
#pragma once

#include <string_view>

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

}  // namespace patron::engine::internal
