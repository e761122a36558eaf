"""`python -m qa.training`: train the span reader (options: `--help`).

`main` is imported from `qa.training.loop` so that pickled classes are named
after their real modules, never `__main__`.
"""

from qa.training.loop import main

if __name__ == "__main__":
    main()
