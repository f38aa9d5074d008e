"""The web workbench (`siteline serve`): pages and an API over the same services as the
command line. See docs/web.md."""
