"""The domain: the metric dictionary, monthly series and derived metrics, chart figures, CSV conventions.

Pure code: no database session, no request, no HTTP. A new metric starts in `metrics.py`.
"""
