"""The ARIMA family: AR, ARMA, ARIMA, SARIMA (statsmodels' state space or tsforecast's own
exact likelihood), AutoARIMA's order search, and the numerics they share."""
