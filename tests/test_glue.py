"""mlbook.glue: myst-nb's glue in the build, a harmless record where myst-nb is absent (Colab)."""
import sys
import types

import pytest

import mlbook


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(mlbook, "GLUED", {})
    return mlbook.GLUED


def test_with_myst_nb_it_calls_myst_nb_glue(monkeypatch, fresh):
    calls = []
    fake = types.ModuleType("myst_nb")
    fake.glue = lambda name, value, display=True: calls.append((name, value, display))
    monkeypatch.setitem(sys.modules, "myst_nb", fake)
    assert mlbook.glue("rmse", 1.25) == 1.25
    assert mlbook.glue("table", "t", display=True) == "t"
    assert calls == [("rmse", 1.25, False), ("table", "t", True)]  # not shown unless asked
    assert fresh == {"rmse": 1.25, "table": "t"}


def test_with_the_real_myst_nb_it_writes_a_glue_output(fresh):
    pytest.importorskip("myst_nb")
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shown = []
    shell.display_pub.publish = lambda data, metadata=None, **kw: shown.append((data, metadata))
    try:
        mlbook.glue("acc", 0.875)
    finally:
        InteractiveShell.clear_instance()
    assert shown, "myst-nb's glue published nothing"
    data, metadata = shown[0]
    assert metadata["scrapbook"]["name"] == "acc"
    assert "0.875" in str(data)


def test_without_myst_nb_it_keeps_the_value(monkeypatch, fresh, capsys):
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # `import myst_nb` now raises ImportError, as on Colab
    with pytest.raises(ImportError):
        import myst_nb  # noqa: F401
    assert mlbook.glue("rmse", 2.5) == 2.5
    assert fresh == {"rmse": 2.5}
    assert capsys.readouterr().out == ""  # nothing shown by default
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda value: shown.append(value))
    assert mlbook.glue("fig", "a figure", display=True) == "a figure"
    assert shown == ["a figure"]


@pytest.mark.parametrize("name", ["", "two words", "a-b", 3, None])
def test_bad_names_are_rejected(name, fresh):
    with pytest.raises(ValueError, match="glue name"):
        mlbook.glue(name, 1)
    assert fresh == {}
