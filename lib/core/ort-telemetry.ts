// ONNX Runtime 1.30's Linux and macOS builds carry Microsoft's 1DS telemetry: each process that
// creates a session writes a `.ses` file and a `mat-debug-<pid>.log` into the temp folder (left
// there for good), keeps an offline event cache and tries to upload usage events. A scoring pod,
// a batch worker or a notebook of this toolkit should neither phone home from a customer's
// cluster nor litter /tmp, so the toolkit opts out unless the user has decided otherwise:
// ORT_DISABLE_TELEMETRY=0 keeps ONNX Runtime's default. The variable is read once, when the
// first session is created (not at import), so core/index.ts imports this module: every lib
// module that creates sessions imports core's index.
if (process.env.ORT_DISABLE_TELEMETRY === undefined) process.env.ORT_DISABLE_TELEMETRY = "1";

export {};
