"""The website: view models (`pages`, `banner`, `changes`: pure), rendering and caching
(`site`), the live app (`app`), the static build (`build`) and the data source (`source`).

Keep this file empty of imports: the pure modules of this package are imported by the
core's tests and must not drag the shell (Starlette, Jinja2, git) in with them.
"""
