// The one place that talks to NLopt.
#include <nlopt.h>

#include <cmath>
#include <string>
#include <vector>

#include "models/models_internal.h"

namespace patron::models {

Status Minimize(unsigned n, double* x, ObjectiveFunction objective, void* data,
                const FitOptions& options, OptimizerResult* result) {
  nlopt_opt opt = nlopt_create(NLOPT_LD_LBFGS, n);
  if (opt == nullptr) return Internal("NLopt could not create an L-BFGS optimiser");
  std::vector<double> lower(n, -30), upper(n, 30);
  nlopt_set_lower_bounds(opt, lower.data());
  nlopt_set_upper_bounds(opt, upper.data());
  nlopt_set_min_objective(opt, objective, data);
  nlopt_set_ftol_rel(opt, options.relative_tolerance);
  nlopt_set_xtol_rel(opt, 1e-10);
  nlopt_set_maxeval(opt, options.max_evaluations);
  double minimum = HUGE_VAL;
  nlopt_result rc = nlopt_optimize(opt, x, &minimum);
  nlopt_destroy(opt);
  result->minimum = minimum;
  result->status = static_cast<int>(rc);
  // NLOPT_ROUNDOFF_LIMITED means the optimiser stopped because the objective
  // can no longer be improved in double precision: at a maximum of the
  // likelihood that is convergence, not failure.
  if ((rc > 0 && rc != NLOPT_MAXEVAL_REACHED && rc != NLOPT_MAXTIME_REACHED) ||
      rc == NLOPT_ROUNDOFF_LIMITED) {
    if (std::isfinite(minimum)) return Status::Ok();
  }
  return FailedPrecondition("the likelihood maximisation did not converge (NLopt result " +
                            std::to_string(rc) + "); the data may be too few or degenerate");
}

}  // namespace patron::models
