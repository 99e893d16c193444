// Activation checkpointing: a custom autograd function around CausalLM::decoder_layer. The call
// state (batch, context, rope tables) is copied into a holder that outlives the forward, since
// the backward runs after CausalLM::run has returned.
#include "model/checkpoint_layer.h"

#include <torch/torch.h>

#include <memory>
#include <mutex>

#include "model/call.h"

namespace swift::model {
namespace {

struct CallCopy : torch::CustomClassHolder {
  const CausalLM* model = nullptr;
  std::int64_t layer = 0;
  ForwardContext ctx;
  PackedBatch batch;
  std::map<std::string, std::pair<at::Tensor, at::Tensor>> rope;
  at::Tensor rng;  // the default CPU generator before the layer ran (dropout masks)
};

at::Tensor generator_state() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void set_generator_state(const at::Tensor& s) {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(s);
}

struct LayerFunction : public torch::autograd::Function<LayerFunction> {
  static at::Tensor forward(torch::autograd::AutogradContext* actx,
                            const at::Tensor& x,
                            c10::intrusive_ptr<CallCopy> state) {
    actx->save_for_backward({x});
    CausalLM::Call call{state->ctx, state->batch, state->rope};
    if (state->ctx.training) state->rng = generator_state();
    at::Tensor y = state->model->decoder_layer(state->layer, x, call);
    actx->saved_data["state"] = c10::IValue::make_capsule(std::move(state));
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* actx,
                                                 torch::autograd::variable_list grads) {
    auto saved = actx->get_saved_variables();
    auto holder = actx->saved_data["state"].toCapsule();
    auto* state = static_cast<CallCopy*>(holder.get());
    at::Tensor x = saved[0].detach().requires_grad_(true);
    at::Tensor y;
    {
      // Same dropout masks as the forward: replay the generator from where the layer started.
      at::Tensor after;
      if (state->rng.defined()) {
        after = generator_state();
        set_generator_state(state->rng);
      }
      torch::AutoGradMode enable(true);
      CausalLM::Call call{state->ctx, state->batch, state->rope};
      y = state->model->decoder_layer(state->layer, x, call);
      if (after.defined()) set_generator_state(after);
    }
    torch::autograd::backward({y}, {grads[0]});
    return {x.grad(), at::Tensor()};
  }
};

}  // namespace

at::Tensor checkpointed_layer(const CausalLM& model,
                              std::int64_t layer,
                              const at::Tensor& x,
                              const CausalLM::Call& call) {
  auto state = c10::make_intrusive<CallCopy>();
  state->model = &model;
  state->layer = layer;
  state->ctx = call.ctx;
  state->ctx.kv = nullptr;
  state->ctx.checkpoint_layers = false;
  state->batch = call.batch;
  state->rope = call.rope;
  // The first layer's input (the embedding output) does not require grad when only adapters are
  // trained; the function still has to be part of the graph for its parameters' gradients.
  at::Tensor in = x.requires_grad() ? x : x.detach().requires_grad_(true);
  return LayerFunction::apply(in, state);
}

}  // namespace swift::model
