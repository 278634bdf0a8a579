"""Chapters 01-04 in numpy: losses, activations, gradient checking, optimizers, linear regression and a small network."""

from __future__ import annotations

from typing import TYPE_CHECKING

from course_lib.core.exports import lazy_exports

if TYPE_CHECKING:  # what a type checker and an IDE see; at run time names load lazily
    from .activations import ACTIVATIONS, activate, activation_derivative, sigmoid, softmax
    from .adaptive import Adam, RMSProp, adam_step_scale
    from .gradcheck import GradientCheck, check_gradient, numerical_gradient, relative_error
    from .linreg import (
        GDRun,
        design_matrix,
        gradient_descent,
        gradient_descent_step,
        least_squares,
        mse_gradient_wrt_theta,
        mse_loss,
        predict,
        run_summary,
    )
    from .losses import (
        EPSILON,
        binary_crossentropy,
        binary_crossentropy_gradient,
        categorical_crossentropy,
        categorical_crossentropy_gradient,
        log_sigmoid,
        log_softmax,
        logsumexp,
        mae_gradient,
        mse,
        mse_gradient,
    )
    from .nn import (
        LOSSES,
        backward,
        forward,
        init_params,
        keras_weights,
        loss,
        params_from_keras,
        train,
    )
    from .optimizers import SGD, Momentum, Optimizer
    from .problems import Quadratic, Rosenbrock, minimize

_EXPORTS = {
    "ACTIVATIONS": ".activations",
    "activate": ".activations",
    "activation_derivative": ".activations",
    "sigmoid": ".activations",
    "softmax": ".activations",
    "Adam": ".adaptive",
    "RMSProp": ".adaptive",
    "adam_step_scale": ".adaptive",
    "GradientCheck": ".gradcheck",
    "check_gradient": ".gradcheck",
    "numerical_gradient": ".gradcheck",
    "relative_error": ".gradcheck",
    "GDRun": ".linreg",
    "design_matrix": ".linreg",
    "gradient_descent": ".linreg",
    "gradient_descent_step": ".linreg",
    "least_squares": ".linreg",
    "mse_gradient_wrt_theta": ".linreg",
    "mse_loss": ".linreg",
    "predict": ".linreg",
    "run_summary": ".linreg",
    "EPSILON": ".losses",
    "binary_crossentropy": ".losses",
    "binary_crossentropy_gradient": ".losses",
    "categorical_crossentropy": ".losses",
    "categorical_crossentropy_gradient": ".losses",
    "log_sigmoid": ".losses",
    "log_softmax": ".losses",
    "logsumexp": ".losses",
    "mae_gradient": ".losses",
    "mse": ".losses",
    "mse_gradient": ".losses",
    "LOSSES": ".nn",
    "backward": ".nn",
    "forward": ".nn",
    "init_params": ".nn",
    "keras_weights": ".nn",
    "loss": ".nn",
    "params_from_keras": ".nn",
    "train": ".nn",
    "SGD": ".optimizers",
    "Momentum": ".optimizers",
    "Optimizer": ".optimizers",
    "Quadratic": ".problems",
    "Rosenbrock": ".problems",
    "minimize": ".problems",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
