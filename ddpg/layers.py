"""Initialisation shared by the actor's and the critic's tflearn layers."""
from ddpg.compat import tflearn
from ddpg.variables import CopyInitializer

# The DDPG paper's final-layer range: near-zero initial actions and Q values.
FINAL_LAYER_INIT = 3e-3


def layer_initializers(layer_names, copy_from=None):
    """{layer name: keyword arguments for tflearn.fully_connected}.

    Hidden layers keep tflearn's default initialisation (the tutorial's);
    the last layer draws from U[-3e-3, 3e-3].  With `copy_from` (another
    network's variables), every layer instead starts as an exact copy of
    the variables in the layer of the same name: how targets are made.
    """
    if copy_from is None:
        inits = {name: {} for name in layer_names}
        inits[layer_names[-1]] = {"weights_init": tflearn.initializations.uniform(
            minval=-FINAL_LAYER_INIT, maxval=FINAL_LAYER_INIT)}
        return inits
    by_layer = {name: {} for name in layer_names}
    for var in copy_from:
        layer, kind = var.op.name.split("/")[-2:]
        by_layer[layer]["weights_init" if kind == "W" else "bias_init"] = CopyInitializer(var)
    return by_layer
