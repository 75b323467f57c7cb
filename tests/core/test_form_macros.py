def test_fields_without_errors_carry_no_empty_aria_attributes(login_as):
    html = login_as("calidad").get("/procesos/nuevo").get_data(as_text=True)
    assert 'aria-invalid="None"' not in html and 'aria-describedby="None"' not in html
    assert 'aria-describedby="code-help"' in html  # the description is tied to its field
