"""The service layer under the CLI: functions that take an explicit SiteContext and return results.

Commands parse options and render (berth_cli.rendering); services do the work and never print tables,
read global options or import a command.
"""
