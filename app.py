"""gnnrec dashboard: `streamlit run app.py`. Pages live in pages/; each is thin (state -> core -> render)."""

import streamlit as st

from pages.routes import PAGES

st.set_page_config(page_title="gnnrec: product associations", page_icon=":material/hub:", layout="wide")
# Navigation first: until a session has called st.navigation, Streamlit lists the files in pages/.
navigation = st.navigation({
    "Start": [st.Page(PAGES["home"], title="Overview", icon=":material/home:", default=True),
              st.Page(PAGES["data"], title="Data", icon=":material/upload:"),
              st.Page(PAGES["train"], title="Train", icon=":material/model_training:")],
    "Explore": [st.Page(PAGES["associations"], title="Associations", icon=":material/shopping_basket:"),
                st.Page(PAGES["map"], title="Product map", icon=":material/scatter_plot:"),
                st.Page(PAGES["neighbourhood"], title="Product neighbourhood", icon=":material/hub:"),
                st.Page(PAGES["recommend"], title="Recommendations", icon=":material/recommend:"),
                st.Page(PAGES["compare"], title="Compare", icon=":material/compare_arrows:")],
})

# Heavy (the engine) and after navigation on purpose:
from pages.jobs import wait_for_warm_up, warm_training_libraries  # noqa: E402
from pages.state import ensure_sample  # noqa: E402
from pages.widgets import sidebar  # noqa: E402

ensure_sample()
sidebar()
wait_for_warm_up()  # another session importing the training libraries: after it, not beside it (DESIGN.md)
try:
    navigation.run()
finally:  # after the page is drawn, also when it stops early (st.stop): a first run then finds torch and PyG imported
    warm_training_libraries()
