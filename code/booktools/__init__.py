"""Tooling that builds and checks the book (not imported by chapters).

- `nbval_md`: a pytest plugin that runs the chapters' MyST notebooks with nbval and stores the
  executed notebooks in the jupyter-cache that the site build reads, so `make test` runs each
  chapter once.
- `cachekey`: clears that cache when `mlbook` or the data manifest changes (jupyter-cache hashes
  only a notebook's cells, so it cannot see a change in the code the cells import).
- `sphinxext`: the book's Sphinx extension (Colab and download links, "cite this chapter",
  the execution status table).
- `export`: turns a MyST chapter into a plain `.ipynb` for Colab and download.
- `pdf`: the whole book as one PDF (`make pdf`): the single-page build printed by chromium, from the cache.
- `colab`: runs the exported notebooks as on Colab, in a clean environment with only the wheel.
- `loopback`: a folder served on 127.0.0.1 (data for the Colab run, the page the PDF is printed from).
"""
