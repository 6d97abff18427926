"""Counting the floating-point work of a DDPG or TD3 update, for the benchmark's roofline.

Only matrix products are counted (2*m*k*n per product): they are the
compute-bound part, and the part a BLAS kernel's GFLOP/s speaks about.
Adam, the soft updates and the activations touch each number a few times
and are bound by memory, not arithmetic.
"""


def dense_flops(batch, n_in, n_out):
    return 2 * batch * n_in * n_out


def actor_forward_flops(batch, state_dim, action_dim, hidden=(400, 300)):
    h1, h2 = hidden
    return (dense_flops(batch, state_dim, h1) + dense_flops(batch, h1, h2)
            + dense_flops(batch, h2, action_dim))


def critic_forward_flops(batch, state_dim, action_dim, hidden=(400, 300), action_layer=2):
    """Q(s, a); the action joins at layer 2 (its own product) or layer 1 (read with s)."""
    h1, h2 = hidden
    if action_layer == 1:
        return (dense_flops(batch, state_dim + action_dim, h1) + dense_flops(batch, h1, h2)
                + dense_flops(batch, h2, 1))
    return (dense_flops(batch, state_dim, h1) + dense_flops(batch, h1, h2)
            + dense_flops(batch, action_dim, h2) + dense_flops(batch, h2, 1))


def critic_action_gradient_flops(batch, state_dim, action_dim, hidden=(400, 300),
                                 action_layer=2):
    """dQ/da: input gradients from Q back to where the action joins."""
    if action_layer == 1:  # through every layer to [s, a]: the forward's products, transposed
        return critic_forward_flops(batch, state_dim, action_dim, hidden, action_layer)
    h1, h2 = hidden
    return dense_flops(batch, h2, 1) + dense_flops(batch, action_dim, h2)


def update_flops(batch=64, state_dim=3, action_dim=1, hidden=(400, 300), action_layer=2,
                 critics=1, policy_delay=1):
    """Matrix-product FLOPs of the fused update per environment step (FusedUpdate), as built.

    Critic step, per critic: target actor (once) and target critic on s2,
    critic on (s, a), then weight gradients of all critic layers plus the
    input gradients back to the first hidden layer.  Actor step: mu(s), the
    updated critic on (s, mu(s)), dQ/da through the critic, then weight
    gradients of all actor layers and input gradients down to its first
    hidden layer.  Plus mu(s') for one next state.  Under TD3 (`critics`
    2, `policy_delay` d) the actor step comes once every d steps, so a step
    carries 1/d of it: the cost of one step averaged over a delay cycle.
    """
    h1, h2 = hidden
    b = batch
    actor_fwd = actor_forward_flops(b, state_dim, action_dim, hidden)
    critic_fwd = critic_forward_flops(b, state_dim, action_dim, hidden, action_layer)
    critic_weight_grads = critic_fwd
    critic_input_grads = dense_flops(b, h2, 1) + dense_flops(b, h1, h2)
    critic_step = actor_fwd + critics * (critic_fwd + critic_fwd + critic_weight_grads
                                         + critic_input_grads)
    dq_da = critic_action_gradient_flops(b, state_dim, action_dim, hidden, action_layer)
    actor_weight_grads = actor_fwd
    actor_input_grads = dense_flops(b, h2, action_dim) + dense_flops(b, h1, h2)
    actor_step = actor_fwd + critic_fwd + dq_da + actor_weight_grads + actor_input_grads
    next_action = actor_forward_flops(1, state_dim, action_dim, hidden)
    return critic_step + actor_step / policy_delay + next_action


def large_kernels():
    """The update's kernels that touch the h1 x h2 weights: {kind: how many per update}.

    Forward products: target actor and target critic on s2, critic on
    (s, a), mu(s), and the updated critic on (s, mu(s)).  Backward: the
    critic's and the actor's weight gradient (h1^T @ dy) and input gradient
    (dy @ W^T) of that layer.  Adam steps: the critic's and the actor's
    weight.  Everything else in an update is small in comparison.
    """
    return {"forward": 5, "weight_grad": 2, "input_grad": 2, "adam": 2}
