"""The public endpoints of the calendar vendors, in a module that imports none of their
SDKs: settings and the adapter factory name them without paying for the SDK import."""

from __future__ import annotations

GRAPH_URL = "https://graph.microsoft.com/v1.0"
MS_AUTHORITY_URL = "https://login.microsoftonline.com"
