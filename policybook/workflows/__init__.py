"""The use cases shared by the CLI, the web app and the scheduler (shell).

Each module meets the pure core in one place: it gathers inputs (files, git, the
database, the clock passed in as `now`), calls the core, and performs the effects.
"""
