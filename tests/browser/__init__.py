"""Browser tests: JupyterLab in Chromium, driven by Playwright.

A package, not a plain directory, so that the server and browser fixtures can be
package-scoped: see ``conftest.py``.
"""
