// Shared by the implementation files of src/models; not part of the interface.
#pragma once

#include "models/models.h"

namespace patron::models {

struct OptimizerResult {
  double minimum = 0;
  int status = 0;  // NLopt's result code
};

// Minimises `objective` (NLopt's nlopt_func signature, with gradient) by
// L-BFGS from `x`, which receives the minimiser. Every coordinate is bounded to
// [-30, 30] because the models optimise logarithms of positive parameters.
using ObjectiveFunction = double (*)(unsigned n, const double* x, double* gradient, void* data);
Status Minimize(unsigned n, double* x, ObjectiveFunction objective, void* data,
                const FitOptions& options, OptimizerResult* result);

}  // namespace patron::models
