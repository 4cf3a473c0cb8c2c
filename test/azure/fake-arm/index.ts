export { FakeArm, type ArmEvent, type ArmRequest } from "./fake-arm.js";
export { DEFAULT_SKUS, DEFAULT_USAGES, type FakeSku, type FakeUsage } from "./catalog.js";
export type { Fault } from "./faults.js";
export { parseId } from "./ids.js";
