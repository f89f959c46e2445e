"""mlbook.train and mlbook.plot."""
import matplotlib

matplotlib.use("Agg")

import pytest
import torch
from torch import nn

from mlbook.plot import plot_history, use_style
from mlbook.train import History, accuracy, evaluate, fit


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
    assert hist.best_epoch is not None and hist.epochs <= 50
    kept = evaluate(model, (x[300:], y[300:]), nn.functional.cross_entropy)["loss"]
    assert kept == pytest.approx(min(hist["val_loss"]), rel=1e-5)


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
    with pytest.raises(KeyError, match="no records for \\['f1'\\]"):
        plot_history(hist, ("f1",))
    assert isinstance(hist, History)
