// Ports the program fixes (the same in every stack), which the settings keep the stack's own
// ports away from.

/**
 * Where the api serves Prometheus metrics (env METRICS_PORT), apart from its HTTP port: no Service
 * targets it, so no Ingress can route the public to it. 9464 is the Prometheus exporter port of
 * OpenTelemetry's SDKs.
 */
export const API_METRICS_PORT = 9464;
