import pytest

from briefings import rendering


@pytest.fixture(autouse=True)
def _fresh_chapter_cache():
    # Each test has its own private storage (tmp_path); the in-memory chapter cache must not
    # carry layouts from one test's content into another's.
    rendering.clear_memory_cache()
    yield
    rendering.clear_memory_cache()
