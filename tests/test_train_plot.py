"""mlbook.train and mlbook.plot."""
import matplotlib

matplotlib.use("Agg")

import functools

import pytest
import torch
from torch import nn

from mlbook.plot import plot_history, use_style
from mlbook.train import History, accuracy, evaluate, fit, predict


def blobs(n=400, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=g)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long()
    return x, y


def train_once(seed=0, **kwargs):
    torch.manual_seed(seed)
    x, y = blobs()
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    hist = fit(model, (x[:300], y[:300]), val=(x[300:], y[300:]), loss_fn=nn.functional.cross_entropy,
               optimizer=opt, epochs=kwargs.pop("epochs", 15), metrics={"accuracy": accuracy}, seed=seed, **kwargs)
    return model, hist


def test_fit_learns_and_records_history():
    model, hist = train_once()
    assert hist.epochs == 15
    assert hist["train_loss"][-1] < hist["train_loss"][0]
    assert hist["val_accuracy"][-1] > 0.9
    assert hist.seconds > 0 and hist.seconds_per_epoch == pytest.approx(hist.seconds / 15)


def test_fit_is_deterministic():
    _, a = train_once(seed=3)
    _, b = train_once(seed=3)
    assert a["val_loss"] == b["val_loss"]


def test_early_stopping_restores_best_weights():
    x, y = blobs()
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    # A huge learning rate makes the validation loss worse after the first epochs.
    opt = torch.optim.SGD(model.parameters(), lr=50.0)
    hist = fit(model, (x[:300], y[:300]), val=(x[300:], y[300:]), loss_fn=nn.functional.cross_entropy,
               optimizer=opt, epochs=50, patience=2)
    assert hist.best_epoch is not None and hist.best_epoch < hist.epochs < 50, (hist.best_epoch, hist.epochs)
    assert hist.epochs == hist.best_epoch + 2  # stopped after `patience` epochs without improvement
    assert min(hist["val_loss"]) == hist["val_loss"][hist.best_epoch - 1]
    kept = evaluate(model, (x[300:], y[300:]), nn.functional.cross_entropy)["loss"]
    assert kept == pytest.approx(min(hist["val_loss"]), rel=1e-5)
    assert kept < hist["val_loss"][-1]  # the last epoch's weights were worse, and were not kept


def test_evaluate_weights_batches_by_size():
    x, y = blobs(n=10)
    model = nn.Linear(2, 2)
    whole = evaluate(model, (x, y), nn.functional.cross_entropy, batch_size=10)["loss"]
    pieces = evaluate(model, (x, y), nn.functional.cross_entropy, batch_size=3)["loss"]
    assert whole == pytest.approx(pieces, rel=1e-6)


def test_fit_accepts_a_dataloader():
    x, y = blobs()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=64)
    model = nn.Linear(2, 2)
    hist = fit(model, loader, loss_fn=nn.functional.cross_entropy,
               optimizer=torch.optim.SGD(model.parameters(), lr=0.5), epochs=3)
    assert hist.epochs == 3 and "val_loss" not in hist


@pytest.mark.parametrize("kwargs, message", [
    ({"epochs": 0}, "epochs must be a positive int"),
    ({"patience": 2, "val": None}, "early stopping needs a validation set"),
    ({"train": (torch.zeros(5, 2), torch.zeros(4))}, "X has 5 rows but y has 4"),
    ({"train": [1, 2]}, "must be a DataLoader or a tuple"),
])
def test_fit_rejects_bad_arguments(kwargs, message):
    model = nn.Linear(2, 2)
    args = dict(train=blobs(), loss_fn=nn.functional.cross_entropy,
                optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=1)
    args.update(kwargs)
    train = args.pop("train")
    with pytest.raises((ValueError, TypeError), match=message):
        fit(model, train, **args)


def test_accuracy_handles_logits_and_single_scores():
    assert accuracy(torch.tensor([[2.0, 1.0], [0.0, 3.0]]), torch.tensor([0, 0])) == 0.5
    assert accuracy(torch.tensor([1.5, -0.5, 2.0]), torch.tensor([1, 0, 0])) == pytest.approx(2 / 3)


def test_plot_history_draws_each_metric():
    use_style()
    _, hist = train_once(epochs=3)
    axes = plot_history(hist, ("loss", "accuracy"))
    assert len(axes) == 2
    assert [len(line.get_xdata()) for line in axes[0].lines] == [3, 3]  # training and validation
    assert list(axes[0].lines[0].get_ydata()) == pytest.approx(hist["train_loss"])
    assert list(axes[1].lines[-1].get_ydata()) == pytest.approx(hist["val_accuracy"])
    with pytest.raises(KeyError, match="no records for \\['f1'\\]"):
        plot_history(hist, ("f1",))


def test_accuracy_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="one target per row"):
        accuracy(torch.zeros(4, 3), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="one target per row"):
        accuracy(torch.zeros(4, 3), torch.zeros(4, 2, dtype=torch.long))  # one-hot targets are not labels
    assert accuracy(torch.tensor([[1.0], [-1.0]]), torch.tensor([[1], [1]])) == 0.5  # (N, 1) targets are fine


class Dropper(nn.Module):
    """Dropout in front of a linear layer: its outputs differ between train and eval mode."""

    def __init__(self):
        super().__init__()
        self.drop, self.lin = nn.Dropout(0.9), nn.Linear(2, 2)

    def forward(self, x):
        return self.lin(self.drop(x))


def test_predict_is_batched_in_eval_mode_without_gradients_and_restores_the_mode():
    x, _ = blobs(n=10)
    torch.manual_seed(0)
    model = Dropper()
    model.train()
    calls = []
    model.register_forward_hook(lambda m, inp, out: calls.append((inp[0].shape[0], m.training, torch.is_grad_enabled())))
    out = predict(model, x, batch_size=4)
    assert [c[0] for c in calls] == [4, 4, 2]
    assert not any(c[1] for c in calls) and not any(c[2] for c in calls)
    assert model.training  # the mode it had before
    assert not out.requires_grad and out.shape == (10, 2)
    model.eval()
    assert torch.equal(out, model(x).detach())  # what the model gives in eval mode, in one batch


@pytest.mark.parametrize("args, error", [
    (([1.0, 2.0],), TypeError), ((torch.zeros(0, 2),), ValueError), ((torch.zeros(3, 2), 0), ValueError),
])
def test_predict_rejects_bad_input(args, error):
    with pytest.raises(error):
        predict(nn.Linear(2, 2), *args)


def test_clip_grad_bounds_the_update_and_records_the_norm():
    x, y = blobs(n=64)
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    before = torch.cat([p.detach().flatten() for p in model.parameters()])
    lr, clip = 1.0, 1e-3
    hist = fit(model, (x, y), loss_fn=nn.functional.cross_entropy, optimizer=torch.optim.SGD(model.parameters(), lr=lr),
               epochs=1, batch_size=64, clip_grad=clip)
    after = torch.cat([p.detach().flatten() for p in model.parameters()])
    assert (after - before).norm().item() == pytest.approx(lr * clip, rel=1e-4)  # one step of length lr * clip
    assert hist["grad_norm"][0] > 10 * clip  # the norm before clipping was far larger
    _, plain = train_once(epochs=1)
    assert "grad_norm" not in plain


def test_scheduler_steps_per_epoch_or_per_batch():
    x, y = blobs(n=100)
    for interval, expected in (("epoch", 3), ("step", 3 * 4)):  # 100 rows in batches of 32: 4 batches
        model = nn.Linear(2, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        fit(model, (x, y), loss_fn=nn.functional.cross_entropy, optimizer=opt, epochs=3, batch_size=32,
            scheduler=sched, scheduler_interval=interval)
        assert sched.last_epoch == expected, interval
        assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**expected)


@pytest.mark.parametrize("kwargs, message", [
    ({"scheduler_interval": "batch"}, "scheduler_interval must be 'epoch' or 'step'"),
    ({"clip_grad": 0.0}, "clip_grad must be a positive number"),
    ({"loss_fn": nn.CrossEntropyLoss(reduction="sum")}, "reduction='sum'"),
])
def test_fit_rejects_bad_new_arguments(kwargs, message):
    model = nn.Linear(2, 2)
    args = dict(loss_fn=nn.functional.cross_entropy, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=1)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        fit(model, blobs(n=20), **args)


@pytest.mark.parametrize("loss_fn, message", [
    (nn.CrossEntropyLoss(reduction="sum"), "reduction='sum'"),
    (nn.CrossEntropyLoss(reduction="none"), "reduction='none'"),
    (functools.partial(nn.functional.cross_entropy, reduction="sum"), "reduction='sum'"),
    (lambda out, y: nn.functional.cross_entropy(out, y, reduction="none"), r"got \(10,\)"),
])
def test_evaluate_needs_a_batch_mean_loss(loss_fn, message):
    model = nn.Linear(2, 2)
    model.train()
    with pytest.raises(ValueError, match=message):
        evaluate(model, blobs(n=10), loss_fn, batch_size=10)
    assert model.training  # restored even though evaluate failed


def test_evaluate_accepts_mean_losses():
    x, y = blobs(n=10)
    model = nn.Linear(2, 2)
    reference = nn.functional.cross_entropy(model(x), y).item()
    for loss_fn in (nn.CrossEntropyLoss(), functools.partial(nn.functional.cross_entropy, reduction="mean")):
        assert evaluate(model, (x, y), loss_fn, batch_size=3)["loss"] == pytest.approx(reference, rel=1e-6)
