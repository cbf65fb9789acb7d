from scheduling.views import calendar, notes, patient, practice

urlpatterns = [
    *patient.urlpatterns,
    *practice.urlpatterns,
    *notes.urlpatterns,
    *calendar.urlpatterns,
]
