// NC form: offer only the municipalities of the chosen department (the server checks too).
(function () {
  "use strict";
  var department = document.getElementById("department_code");
  var municipality = document.getElementById("municipality_code");
  if (!department || !municipality) { return; }
  function filter() {
    var dep = department.value;
    Array.prototype.forEach.call(municipality.options, function (option) {
      var fits = !option.value || !dep || option.value.slice(0, 2) === dep;
      option.hidden = !fits;
      option.disabled = !fits;
    });
    var chosen = municipality.options[municipality.selectedIndex];
    if (chosen && chosen.disabled) { municipality.value = ""; }
  }
  department.addEventListener("change", filter);
  filter();
}());
