"""The dashboard's pages and their Streamlit glue.

Streamlit runs a `pages/` folder beside the main script as a v1 multipage app until a session has
called st.navigation: a fresh server's first request for a page's address (a shared link, a reload
after a restart) ran pages/train.py alone, without app.py (no navigation, no sample, every module
of this folder listed as a page). Importing this package in such a run ends that mode and reruns
the session through app.py (`PagesManager.uses_pages_directory` is what st.navigation clears).
"""

from streamlit.runtime.pages_manager import PagesManager

if PagesManager.uses_pages_directory:
    import streamlit as st

    PagesManager.uses_pages_directory = False
    st.rerun()
