"""The CVD dashboards: `streamlit run dashboards/app.py` (CVD_HOME picks the home).

Sign-in gate, then ``st.navigation`` over the pages the signed-in role may open
(``dashboards/pages.py``), a sidebar with the user, role and sign-out.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:  # `streamlit run` puts only dashboards/ on the path
    sys.path.insert(0, str(_ROOT))

import streamlit as st  # noqa: E402

from dashboards import data, session  # noqa: E402
from dashboards.escape import md  # noqa: E402
from dashboards.pages import pages_for  # noqa: E402

_HERE = Path(__file__).resolve().parent


def main() -> None:
    """Gate, navigation, sidebar, page."""
    st.set_page_config(page_title="CVD", page_icon=":material/local_drink:", layout="wide")
    actor = session.current_actor()
    if actor is None:
        st.navigation([st.Page(session.sign_in_form, title="Sign in", url_path="sign-in")]).run()
        return
    account = st.Page(
        session.change_password_page,
        title="Change password",
        icon=":material/password:",
        url_path="change-password",
    )
    sections: dict[str, list[st.Page]] = {}
    if actor.must_change_password:  # a reset password opens nothing but its change
        sections["Account"] = [account]
    else:
        for spec in pages_for(actor.role):
            page = st.Page(
                str(_HERE / spec.file), title=spec.title, icon=spec.icon, url_path=spec.url_path
            )
            sections.setdefault(spec.section, []).append(page)
        sections.setdefault("Account", []).append(account)
    navigation = st.navigation(sections, expanded=True)  # every page, not "View N more"
    with st.sidebar:
        st.markdown(f"**{md(actor.username)}** · {actor.role}")
        if st.button("Sign out", key="sign_out"):
            session.sign_out()
            st.rerun()
    session.show_notice()
    try:
        navigation.run()
    except data.WarehouseMissingError as missing:
        st.info(f"No data to show yet. {md(missing)}.")


main()
