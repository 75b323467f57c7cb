from qms.core import geo


def test_reference_counts_match_the_official_division():
    assert len(geo.departments()) == 18
    assert len(geo.municipalities()) == 298
    assert geo.department("06").name == "Choluteca"  # INE order, not alphabetical


def test_find_municipality_by_code_name_and_variant():
    assert geo.find_municipality("0801").name == "Distrito Central"
    assert geo.find_municipality("801").code == "0801"
    assert geo.find_municipality("tegucigalpa").code == "0801"
    assert geo.find_municipality("Taulabe").code == "0321"
    assert geo.find_municipality("0801", department_code="05") is None
    assert geo.find_municipality("9999") is None
