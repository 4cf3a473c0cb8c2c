// environments/docker/build.mjs without Docker or the Azure CLI: which builder it picks from what
// the machine has (probes injected), the commands it runs or prints, and its messages.
import { describe, expect, it } from "vitest";
// @ts-expect-error -- plain ESM script without type declarations
import { buildCommands, chooseBuilder, imageRef, main, parseArgs, shellLine } from "../../environments/docker/build.mjs";
// @ts-expect-error -- plain ESM script without type declarations
import { IMAGES } from "../../environments/docker/images.mjs";

const meta = { version: "1.2.3", revision: "abc123", source: "https://github.com/example/custom-ai" };
const all = Object.keys(IMAGES as Record<string, unknown>);

/** Runs main with injected probes; captures what it prints and the commands it would run. */
function run(argv: string[], probes: { az: boolean; docker: boolean }, status = 0) {
  const out: string[] = [];
  const err: string[] = [];
  const ran: string[][] = [];
  const code = main(argv, { probe: () => probes, run: (c: string[]) => (ran.push(c), status), log: (l: string) => out.push(l), error: (l: string) => err.push(l), meta }) as number;
  return { code, out: out.join("\n"), err: err.join("\n"), ran };
}

describe("chooseBuilder", () => {
  it("uses ACR with --registry when az runs, Docker without it when an engine answers, else none with what to do", () => {
    expect(chooseBuilder({ registry: "myacr01" }, { az: true, docker: true }).kind).toBe("acr");
    expect(chooseBuilder({ registry: "myacr01" }, { az: true, docker: false }).kind).toBe("acr");
    const noAz = chooseBuilder({ registry: "myacr01" }, { az: false, docker: true });
    expect(noAz.kind).toBe("none");
    expect(noAz.why).toMatch(/Azure CLI \(az\) is not installed/);
    expect(chooseBuilder({}, { az: true, docker: true }).kind).toBe("docker");
    const none = chooseBuilder({}, { az: true, docker: false });
    expect(none.kind).toBe("none");
    expect(none.why).toMatch(/--registry <your ACR name>/);
    expect(none.why).toMatch(/start a Docker engine/);
  });
});

describe("build.mjs", () => {
  it("builds every image with docker build when an engine answers, and names them", () => {
    const r = run([], { az: false, docker: true });
    expect(r.code).toBe(0);
    expect(r.ran.map((c) => c.slice(0, 2))).toEqual(all.map(() => ["docker", "build"]));
    const scoring = r.ran[all.indexOf("scoring-cpu")];
    expect(scoring).toEqual(["docker", "build", "--file", "environments/docker/scoring-cpu.Dockerfile", "--platform", "linux/amd64", "--tag", "custom-ai/scoring-cpu:1.2.3", "--build-arg", "VERSION=1.2.3", "--build-arg", "REVISION=abc123", "--build-arg", "SOURCE=https://github.com/example/custom-ai", "."]);
    expect(r.out).toMatch(/docker build/);
    for (const image of all) expect(r.out).toContain(`custom-ai/${image}:1.2.3`);
  });

  it("builds in ACR with --registry (name or login server), as <registry>.azurecr.io/custom-ai/<image>:<version>", () => {
    const r = run(["scoring-gpu", "--registry", "MyAcr01.azurecr.io", "--version", "2.0.0"], { az: true, docker: true });
    expect(r.code).toBe(0);
    expect(r.ran).toHaveLength(1);
    expect(r.ran[0].slice(0, 7)).toEqual(["az", "acr", "build", "--registry", "myacr01", "--image", "custom-ai/scoring-gpu:2.0.0"]);
    expect(r.ran[0]).toContain("VERSION=2.0.0");
    expect(r.out).toMatch(/az acr build/);
    expect(r.out).toContain("myacr01.azurecr.io/custom-ai/scoring-gpu:2.0.0");
  });

  it("says clearly that neither builder is here, exits 3 and runs nothing", () => {
    const r = run(["batch-scorer"], { az: false, docker: false });
    expect(r.code).toBe(3);
    expect(r.ran).toEqual([]);
    expect(r.err).toMatch(/neither builder is available/);
  });

  it("--print prints the commands it would run and runs nothing, also where no builder is", () => {
    const acr = run(["train-worker", "--registry", "myacr01", "--print"], { az: false, docker: false });
    expect(acr.code).toBe(0);
    expect(acr.ran).toEqual([]);
    const lines = acr.out.split("\n");
    expect(lines[0]).toMatch(/^# builder: az acr build \(not available here: .*Azure CLI/);
    expect(lines[1]).toBe(shellLine(buildCommands("acr", { images: ["train-worker"], registry: "myacr01" }, meta)[0]));
    expect(lines[1]).toMatch(/^az acr build --registry myacr01 --image custom-ai\/train-worker:1.2.3 --file environments\/docker\/train-worker.Dockerfile /);
    expect(lines[2]).toBe("# images: myacr01.azurecr.io/custom-ai/train-worker:1.2.3");
    const docker = run(["--print"], { az: false, docker: true });
    expect(docker.out.split("\n").filter((l) => l.startsWith("docker build "))).toHaveLength(all.length);
  });

  it("bakes a model into the images that take one", () => {
    const r = run(["scoring-cpu", "train-worker", "--model-dir", "environments/docker/no-model", "--print"], { az: false, docker: true });
    // no-model has no model.onnx: refused
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/has no model.onnx/);
    const cmds = buildCommands("docker", { images: ["scoring-cpu", "batch-scorer", "train-worker"], modelDir: "out/models/m" }, meta);
    expect(cmds.map((c: string[]) => c.includes("MODEL_DIR=out/models/m"))).toEqual([true, true, false]);
  });

  it("stops at the first failed build, exit 1, saying what was built", () => {
    const r = run(["scoring-cpu", "batch-scorer"], { az: false, docker: true }, 7);
    expect(r.code).toBe(1);
    expect(r.ran).toHaveLength(1);
    expect(r.err).toMatch(/scoring-cpu failed \(exit 7\); built before it: none/);
  });

  it("rejects bad usage with exit 2", () => {
    expect(run(["nope"], { az: true, docker: true }).code).toBe(2);
    expect(run(["--registry"], { az: true, docker: true }).code).toBe(2);
    expect(run(["--registry", "bad_name!"], { az: true, docker: true }).err).toMatch(/registry's name/);
    expect(run(["--model-dir", "/etc"], { az: true, docker: true }).err).toMatch(/inside the repository/);
    expect(() => parseArgs(["--version", "not a tag"])).toThrow(/not a valid image tag/);
    expect(imageRef("batch-scorer", "1.0.0")).toBe("custom-ai/batch-scorer:1.0.0");
  });
});
