"""Small problems shared by the training and descent tests."""

from symbolic.problem import parse_problem

CHAIN = {"format": "pscert.problem/1", "name": "chain", "network": {"widths": [1, 1, 1], "biases": False},
         "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [[1]]}}


def problem(widths, biases=True, lam="1/10", inputs=((1,), (-1,)), targets=((1,), (0,)), **extra):
    """A problem without a point: the given architecture on two one-dimensional samples by default."""
    net = {"widths": list(widths), "biases": biases}
    net.update(extra)
    return parse_problem({"format": "pscert.problem/1", "network": net, "loss": {"weight_decay": lam},
                          "data": {"inputs": [list(x) for x in inputs], "targets": [list(y) for y in targets]}})
