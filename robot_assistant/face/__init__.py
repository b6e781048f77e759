"""Face sign-in for 三会一课 meetings: enrolment, encrypted templates, open-set matching, liveness,
the camera pipeline and attendance reports.

Why a package of small modules: the heavy engine (dlib through face_recognition, ~130 MB, 2.2 s to
import) is touched only by ``engine.py`` and only when first used, so the kiosk, the command line and
the reports import this package for free. Everything else works on numpy arrays and plain dataclasses.
"""
