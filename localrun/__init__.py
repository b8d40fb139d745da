"""The laptop platform: everything that runs the bundle's jobs with no workspace, and never deploys.

bundle (read databricks.yml for a target), runner (run a job's tasks in order), validate (check the
bundle offline), lifecycle (every project's jobs by stage) and cli (the ./mlops commands). It imports
common/ and reads projects/ only through the bundle; neither imports it (pyproject.toml's contracts).
"""
