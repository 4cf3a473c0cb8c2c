// Runs environments/dsvm/setup-tslab.mjs for real (through zx's CLI) with a PATH that has no
// `jupyter`, so the direct-write fallback installs the kernelspec; then launches that spec's argv.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import getPort from 'get-port'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const REPO = fileURLToPath(new URL('../..', import.meta.url))
const SCRIPT = path.join(REPO, 'environments', 'dsvm', 'setup-tslab.mjs')
const ZX_CLI = path.join(REPO, 'node_modules', 'zx', 'build', 'cli.js')
const LAUNCHER = path.join(REPO, 'bin', 'tslab-kernel.mjs')
const KERNEL = 'custom-ai-tslab'

interface KernelSpec {
  argv: string[]
  display_name: string
  language: string
  interrupt_mode?: string
  env?: Record<string, string>
}

let sandbox = ''
let binDir = ''

beforeAll(() => {
  sandbox = fs.mkdtempSync(path.join(os.tmpdir(), 'custom-ai-setup-tslab-'))
  // PATH for the script: node and bash (zx's shell) only — no jupyter, whatever this machine has.
  binDir = path.join(sandbox, 'bin')
  fs.mkdirSync(binDir)
  fs.symlinkSync(process.execPath, path.join(binDir, 'node'))
  const bash = ['/bin/bash', '/usr/bin/bash'].find((p) => fs.existsSync(p))
  if (!bash) throw new Error('bash is needed by zx')
  fs.symlinkSync(bash, path.join(binDir, 'bash'))
})

afterAll(() => {
  if (sandbox) fs.rmSync(sandbox, { recursive: true, force: true })
})

function runSetup(args: string[], env: Record<string, string> = {}) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, PATH: binDir, ...env }
  for (const k of ['JUPYTER_DATA_DIR', 'JUPYTER_PATH', 'XDG_DATA_HOME']) if (!(k in env)) delete childEnv[k]
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [ZX_CLI, SCRIPT, ...args], { cwd: sandbox, env: childEnv, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return []
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .sort()
}

const readSpec = (file: string): KernelSpec => JSON.parse(fs.readFileSync(file, 'utf8'))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function tcpConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    socket.once('connect', () => (socket.destroy(), resolve(true)))
    socket.once('error', () => resolve(false))
  })
}

describe('environments/kernelspec/tslab template', () => {
  it('is a kernelspec with placeholders and no machine paths', () => {
    const template = readSpec(path.join(REPO, 'environments', 'kernelspec', 'tslab', 'kernel.json'))
    expect(template.argv).toEqual(['@NODE@', '@LAUNCHER@', 'kernel', '--config-path', '{connection_file}'])
    expect(template).toMatchObject({ display_name: 'TypeScript (custom-ai)', language: 'typescript', interrupt_mode: 'signal' })
    expect(template.env).toBeUndefined()
    expect(JSON.stringify(template)).not.toContain(REPO)
  })
})

describe('setup-tslab.mjs without jupyter on PATH', () => {
  it('writes kernel.json under --prefix, with absolute paths to this repo, and is idempotent', { timeout: 60_000 }, async () => {
    const prefix = path.join(sandbox, 'env')
    const kernelJson = path.join(prefix, 'share', 'jupyter', 'kernels', KERNEL, 'kernel.json')

    const first = await runSetup(['--prefix', prefix])
    expect(first.stderr).not.toMatch(/error/i)
    expect(first.code).toBe(0)
    expect(first.stdout).toContain('jupyter is not on PATH')
    expect(first.stdout).toContain(`wrote ${kernelJson}`)
    expect(listFiles(prefix)).toEqual([path.join('share', 'jupyter', 'kernels', KERNEL, 'kernel.json')])

    const spec = readSpec(kernelJson)
    expect(spec).toEqual({
      argv: [process.execPath, LAUNCHER, 'kernel', '--config-path', '{connection_file}'],
      display_name: 'TypeScript (custom-ai)',
      language: 'typescript',
      interrupt_mode: 'signal',
    })
    for (const p of spec.argv.slice(0, 2)) {
      expect(path.isAbsolute(p)).toBe(true)
      expect(fs.existsSync(p)).toBe(true)
    }
    // world-readable, for JupyterHub users other than the installer
    expect(fs.statSync(kernelJson).mode & 0o777).toBe(0o644)
    expect(fs.statSync(path.dirname(kernelJson)).mode & 0o777).toBe(0o755)

    const before = { text: fs.readFileSync(kernelJson, 'utf8'), mtime: fs.statSync(kernelJson).mtimeMs }
    const second = await runSetup(['--prefix', prefix])
    expect(second.code).toBe(0)
    expect(second.stdout).toContain('already installed and unchanged')
    expect(second.stdout).not.toContain('wrote')
    expect(fs.readFileSync(kernelJson, 'utf8')).toBe(before.text)
    expect(fs.statSync(kernelJson).mtimeMs).toBe(before.mtime)
  })

  it('--dry-run prints the spec and writes nothing', { timeout: 60_000 }, async () => {
    const prefix = path.join(sandbox, 'dry')
    const { code, stdout } = await runSetup(['--prefix', prefix, '--dry-run'])
    expect(code).toBe(0)
    expect(stdout).toContain(`[dry-run] would install kernelspec ${KERNEL} into ${path.join(prefix, 'share', 'jupyter', 'kernels', KERNEL)}`)
    expect(stdout).toContain(JSON.stringify(LAUNCHER))
    expect(fs.existsSync(prefix)).toBe(false)
  })

  it('--user writes to $HOME/.local/share/jupyter, and --target sets CUSTOM_AI_TARGET', { timeout: 60_000 }, async () => {
    const home = path.join(sandbox, 'home')
    fs.mkdirSync(home)
    const { code } = await runSetup(['--user', '--target', 'azure'], { HOME: home })
    expect(code).toBe(0)
    const spec = readSpec(path.join(home, '.local', 'share', 'jupyter', 'kernels', KERNEL, 'kernel.json'))
    expect(spec.env).toEqual({ CUSTOM_AI_TARGET: 'azure' })
    expect(spec.argv[1]).toBe(LAUNCHER)
  })

  it('fails clearly on what it cannot do', { timeout: 60_000 }, async () => {
    const noWhere = await runSetup([])
    expect(noWhere.code).toBe(1)
    expect(noWhere.stderr).toContain('jupyter is not on PATH')
    expect(noWhere.stderr).toContain('--prefix')
    // Only the error: no note promising to write kernel.json anyway.
    expect(noWhere.stdout).not.toContain('written directly')
    expect(noWhere.stderr).not.toMatch(/\n\s+at /) // no stack trace

    const both = await runSetup(['--prefix', path.join(sandbox, 'x'), '--user'])
    expect(both.code).toBe(1)
    expect(both.stderr).toContain('only one of --prefix, --user, --sys-prefix')

    const badTarget = await runSetup(['--prefix', path.join(sandbox, 'x'), '--target', 'cloud'])
    expect(badTarget.code).toBe(1)
    expect(badTarget.stderr).toContain('--target must be one of local, azure')

    const oldNode = path.join(sandbox, 'node18')
    fs.writeFileSync(oldNode, '#!/bin/sh\necho v18.19.0\n', { mode: 0o755 })
    const old = await runSetup(['--prefix', path.join(sandbox, 'x'), '--node', oldNode])
    expect(old.code).toBe(1)
    expect(old.stderr).toContain('Node v18.19.0')
    expect(old.stderr).toContain('needs Node >= 20')
    expect(old.stderr).toContain('deb.nodesource.com')
    expect(old.stderr).toContain('nvm install 24')
    expect(fs.existsSync(path.join(sandbox, 'x'))).toBe(false)
  })
})

describe('the installed kernelspec', () => {
  let kernel: ChildProcess | undefined
  afterAll(() => {
    if (kernel && kernel.exitCode === null && kernel.signalCode === null) kernel.kill('SIGKILL')
  })

  it('launches tslab: binds the five ports, survives SIGINT, ends on SIGTERM', { timeout: 60_000 }, async () => {
    const prefix = path.join(sandbox, 'launch')
    expect((await runSetup(['--prefix', prefix])).code).toBe(0)
    const spec = readSpec(path.join(prefix, 'share', 'jupyter', 'kernels', KERNEL, 'kernel.json'))

    const names = ['shell_port', 'iopub_port', 'stdin_port', 'control_port', 'hb_port'] as const
    const ports: number[] = []
    for (const _ of names) ports.push(await getPort({ host: '127.0.0.1', exclude: ports }))
    const connection = {
      transport: 'tcp',
      ip: '127.0.0.1',
      ...Object.fromEntries(names.map((n, i) => [n, ports[i]])),
      key: randomBytes(16).toString('hex'),
      signature_scheme: 'hmac-sha256',
      kernel_name: KERNEL,
    }
    const workDir = fs.mkdtempSync(path.join(sandbox, 'nb-')) // the notebook's folder, as Jupyter would
    const connectionFile = path.join(workDir, 'kernel-test.json')
    fs.writeFileSync(connectionFile, JSON.stringify(connection))

    const argv = spec.argv.map((a) => a.replace('{connection_file}', connectionFile))
    const started = Date.now()
    const child = spawn(argv[0], argv.slice(1), { cwd: workDir, env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'] })
    kernel = child
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    )

    // Up and listening on every port of the connection file (nothing else listens on them).
    const deadline = Date.now() + 30_000
    let bound: boolean[] = []
    const failed = /UncaughtException|UnhandledPromiseRejection/
    while (Date.now() < deadline && child.exitCode === null && !failed.test(output)) {
      bound = await Promise.all(ports.map(tcpConnect))
      if (bound.every(Boolean)) break
      await sleep(100)
    }
    expect(child.exitCode, output).toBeNull()
    expect(bound, output).toEqual([true, true, true, true, true])
    await sleep(Math.max(0, 2000 - (Date.now() - started)))

    child.kill('SIGINT') // interrupt_mode "signal": tslab interrupts the cell, the kernel lives on
    await sleep(500)
    expect(child.exitCode, output).toBeNull()
    expect(child.signalCode, output).toBeNull()

    child.kill('SIGTERM')
    const end = await Promise.race([exited, sleep(10_000).then(() => 'timeout' as const)])
    expect(end).toEqual({ code: null, signal: 'SIGTERM' })
    expect(output).not.toMatch(/UncaughtException|UnhandledPromiseRejection|Error/)
  })
})
