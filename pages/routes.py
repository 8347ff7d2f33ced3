"""Page paths, kept free of heavy imports so that app.py can call st.navigation before anything
slow runs (until then, Streamlit shows the legacy pages/ listing)."""

PAGES = {"home": "pages/home.py", "data": "pages/data.py", "train": "pages/train.py",
         "associations": "pages/associations.py", "map": "pages/product_map.py",
         "neighbourhood": "pages/neighbourhood.py", "recommend": "pages/recommendations.py",
         "compare": "pages/compare.py"}
