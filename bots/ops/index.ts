export { checkHealth, toHealth, type Health, type HealthPlatform, type HealthProbes, type HealthReport } from './health.js';
export { OpsServerStartError, startOpsServer, type MetricsSource, type OpsServer, type OpsServerOptions } from './ops-server.js';
export { DEFAULT_PLATFORMS, PrometheusMetrics, type PrometheusMetricsOptions } from './prometheus-metrics.js';
export { trackModelHealth } from './model-health.js';
