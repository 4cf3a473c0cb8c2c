// The Functions app's entry point (package.json "main"): registers the triggers with the Node.js
// v4 programming model. Schedule and paths are app settings (%NAME%), so one build serves any
// deployment.
import { app } from "@azure/functions";
import { deploy } from "../../../lib/k8s/index.js";
import { blobHandler, configFromSettings, timerHandler } from "./triggers.js";

// Read when a trigger fires, so a missing setting fails that invocation with a message rather than the host's start.
const deps = { deploy };

app.timer("batchScoringTimer", {
  schedule: "%CUSTOM_AI_SCHEDULE%", // NCRONTAB with seconds, e.g. "0 0 2 * * *" (02:00 every day)
  handler: (timer, context) => timerHandler(configFromSettings(), deps)(timer, context),
});

app.storageBlob("batchScoringBlob", {
  path: "%CUSTOM_AI_INPUT_CONTAINER%/{name}",
  connection: "CUSTOM_AI_STORAGE", // CUSTOM_AI_STORAGE__serviceUri (+ a managed identity), or a connection string
  source: "EventGrid", // the Flex Consumption plan supports only Event Grid blob triggers
  handler: (blob, context) => blobHandler(configFromSettings(), deps)(blob, context),
});
