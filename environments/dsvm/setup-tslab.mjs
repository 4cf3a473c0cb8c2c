#!/usr/bin/env -S npx zx
// Installs this repo's tslab as the Jupyter kernel "TypeScript (custom-ai)" on a Data Science VM
// (or any Linux box with Jupyter), so JupyterHub / JupyterLab users can pick it.
//
//   npx zx environments/dsvm/setup-tslab.mjs [--prefix DIR | --user | --sys-prefix]
//                                            [--target local|azure] [--node PATH] [--dry-run]
//
// Steps: check Node >= 20 -> `npm install` if node_modules/tslab is missing -> check tslab and its
// zeromq binding load -> install the kernelspec rendered from environments/kernelspec/tslab/.
// Idempotent: an identical installed spec is left alone. --dry-run prints and changes nothing.
//
// Written in ES2019 without top-level await so that an old Node (Ubuntu 22.04's apt nodejs is 12)
// still gets the "install Node 20" message instead of a SyntaxError.

import fs from 'fs'
import os from 'os'
import path from 'path'
import { fileURLToPath } from 'url'
import { defaultDir, readManifest } from './setup-tfjs-gpu.mjs'

const KERNEL_NAME = 'custom-ai-tslab' // not "tslab": leaves a global `tslab install` alone
const MIN_NODE_MAJOR = 20
// What to install: the current LTS (Node 20 reached its end of life on 2026-04-30).
const LTS_NODE_MAJOR = 24
const TARGETS = ['local', 'azure'] // lib/core config targets
const SELF = fileURLToPath(import.meta.url)
const REPO = path.resolve(path.dirname(SELF), '..', '..')
const TEMPLATE_DIR = path.join(REPO, 'environments', 'kernelspec', 'tslab')
const TSLAB_DIR = path.join(REPO, 'node_modules', 'tslab')
const TSLAB_BIN = path.join(TSLAB_DIR, 'bin', 'tslab')
// The kernel runs through this launcher: it moves to the notebook's project root so cells can import ./lib (tslab only compiles files under its working directory).
const LAUNCHER = path.join(REPO, 'bin', 'tslab-kernel.mjs')
// Where DSVM images keep conda's jupyter; only named in hints, never used behind the user's back.
const KNOWN_JUPYTERS = [
  '/anaconda/bin/jupyter',
  '/anaconda/envs/py38_default/bin/jupyter',
  '/opt/conda/bin/jupyter',
]

const USAGE = `Usage: npx zx environments/dsvm/setup-tslab.mjs [options]

Installs the Jupyter kernel "TypeScript (custom-ai)" (kernelspec ${KERNEL_NAME}),
which runs this checkout's tslab: ${REPO}

Where (pick one; default --sys-prefix):
  --sys-prefix     the environment of the \`jupyter\` on PATH (<env>/share/jupyter/kernels)
  --prefix DIR     DIR/share/jupyter/kernels (--prefix /usr/local: seen by every Jupyter on the machine)
  --user           your own Jupyter data dir (~/.local/share/jupyter/kernels)
Options:
  --target T       set CUSTOM_AI_TARGET=T (${TARGETS.join(' | ')}) in the kernel's environment
  --node PATH      the node the kernel runs (default: the node running this script)
  --dry-run        print what would be done, change nothing
  -h, --help       this text`

const NODE_HELP = `Install Node ${LTS_NODE_MAJOR} LTS system-wide (every JupyterHub user can run it), from NodeSource:
    curl -fsSL https://deb.nodesource.com/setup_${LTS_NODE_MAJOR}.x | sudo -E bash -
    sudo apt-get install -y nodejs
  or for your user only, with nvm:
    curl -o- https://raw.githubusercontent.com/nvm-sh/nvm/v0.40.1/install.sh | bash
    nvm install ${LTS_NODE_MAJOR}
  then run this script again with that node, or pass --node /path/to/node.`

class SetupError extends Error {
  constructor(message, hint) {
    super(message)
    this.hint = hint
  }
}

function say(line) {
  console.log(line)
}

function parseArgs(args) {
  const opts = { prefix: '', user: false, sysPrefix: false, dryRun: false, target: '', node: '', help: false }
  const withValue = { '--prefix': 'prefix', '--target': 'target', '--node': 'node' }
  for (let i = 0; i < args.length; i++) {
    let arg = args[i]
    let value
    const eq = arg.indexOf('=')
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1)
      arg = arg.slice(0, eq)
    }
    if (withValue[arg]) {
      if (value === undefined) value = args[++i]
      if (value === undefined || value === '' || value.startsWith('--'))
        throw new SetupError(`${arg} needs a value`, USAGE)
      opts[withValue[arg]] = value
    } else if (value !== undefined) {
      throw new SetupError(`${arg} takes no value`, USAGE)
    } else if (arg === '--user') opts.user = true
    else if (arg === '--sys-prefix') opts.sysPrefix = true
    else if (arg === '--dry-run') opts.dryRun = true
    else if (arg === '-h' || arg === '--help') opts.help = true
    else throw new SetupError(`unknown argument: ${arg}`, USAGE)
  }
  if ([opts.prefix !== '', opts.user, opts.sysPrefix].filter(Boolean).length > 1)
    throw new SetupError('use only one of --prefix, --user, --sys-prefix', USAGE)
  if (opts.target && TARGETS.indexOf(opts.target) < 0)
    throw new SetupError(`--target must be one of ${TARGETS.join(', ')}, not "${opts.target}"`)
  if (opts.prefix) opts.prefix = path.resolve(opts.prefix)
  return opts
}

// The script's own arguments: those after its path (under `zx`, argv also holds zx's cli and flags).
function scriptArgs() {
  const argv = process.argv
  for (let i = 1; i < argv.length; i++) {
    try {
      if (fs.realpathSync(argv[i]) === fs.realpathSync(SELF)) return argv.slice(i + 1)
    } catch (e) {
      // not a path
    }
  }
  return argv.slice(2)
}

// zx globals exist under `npx zx`; under plain `node` import zx from this repo's node_modules.
async function loadZx() {
  if (typeof globalThis.$ === 'function' && globalThis.which) return { $: globalThis.$, which: globalThis.which }
  try {
    const zx = await import('zx')
    return { $: zx.$, which: zx.which }
  } catch (e) {
    throw new SetupError('zx is not installed in this checkout', 'run it as `npx zx environments/dsvm/setup-tslab.mjs` (npx fetches zx), or run `npm install` first')
  }
}

async function capture($, cmd, what) {
  try {
    return (await cmd).stdout.trim()
  } catch (e) {
    const detail = (e.stderr || e.message || '').trim().split('\n').slice(-5).join('\n    ')
    throw new SetupError(`${what} failed:\n    ${detail}`)
  }
}

async function checkNode($, node) {
  if (!fs.existsSync(node)) throw new SetupError(`node not found at ${node}`, NODE_HELP)
  const version = await capture($, $`${node} --version`, `${node} --version`)
  const major = Number((/^v(\d+)\./.exec(version) || [])[1])
  if (!(major >= MIN_NODE_MAJOR))
    throw new SetupError(`Node ${version} at ${node} is too old: tslab needs Node >= ${MIN_NODE_MAJOR}.`, NODE_HELP)
  say(`ok    node ${version} at ${node}`)
}

async function ensureTslab($, node, dryRun) {
  if (fs.existsSync(TSLAB_BIN)) return
  // Prefer the npm that ships beside this node, so the native zeromq binding matches it.
  const besideNode = path.join(path.dirname(node), 'npm')
  const npm = fs.existsSync(besideNode) ? besideNode : 'npm'
  if (dryRun) {
    say(`[dry-run] would run: ${npm} install --no-audit --no-fund  (in ${REPO}; node_modules/tslab is missing)`)
    return
  }
  say(`run   ${npm} install  (in ${REPO}; node_modules/tslab is missing)`)
  try {
    await $({ cwd: REPO, stdio: 'inherit' })`${npm} install --no-audit --no-fund`
  } catch (e) {
    throw new SetupError(`npm install failed in ${REPO} (see its output above)`, 'fix the npm error, or run `npm install` there yourself, then run this script again')
  }
  if (!fs.existsSync(TSLAB_BIN))
    throw new SetupError(`npm install finished but ${TSLAB_BIN} is still missing`, 'check that package.json lists tslab')
}

// Load tslab and its native zeromq binding the way the kernel will: catches a node_modules built
// by another Node, or a missing prebuilt binary, before a user sees "kernel died".
async function checkTslabLoads($, node) {
  const probe = "const r=require('module').createRequire(process.argv[1]);r('zeromq');r('./dist/main.js')"
  await capture($, $`${node} -e ${probe} ${path.join(TSLAB_DIR, 'package.json')}`, `loading tslab with ${node}`).catch(
    (e) => {
      throw new SetupError(e.message, `rebuild node_modules with this node: rm -rf ${path.join(REPO, 'node_modules')} && npm install`)
    },
  )
  const version = JSON.parse(fs.readFileSync(path.join(TSLAB_DIR, 'package.json'), 'utf8')).version
  say(`ok    tslab ${version} and zeromq load (${TSLAB_DIR})`)
}

// The Python behind a `jupyter` launcher: its shebang, or pip's long-path `exec' "…/python"` form.
function pythonOf(which, jupyter) {
  const head = fs.readFileSync(fs.realpathSync(jupyter), 'utf8').slice(0, 1024).split('\n')
  const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(head[0] || '')
  if (shebang && /python[\d.]*$/.test(shebang[1])) return shebang[1]
  if (shebang && path.basename(shebang[1]) === 'env' && /python[\d.]*$/.test(shebang[2] || '')) return which.sync(shebang[2], { nothrow: true })
  const execLine = head.map((l) => /^'''exec' "?([^" ]+)/.exec(l)).filter(Boolean)[0]
  return execLine ? execLine[1] : null
}

function userDataDir() {
  if (process.env.JUPYTER_DATA_DIR) return path.resolve(process.env.JUPYTER_DATA_DIR)
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Jupyter')
  if (process.platform === 'win32') return path.join(process.env.APPDATA || os.homedir(), 'jupyter')
  return path.join(process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share'), 'jupyter')
}

// Decide the kernels dir. JupyterHub's single-user servers list kernels from their own env's
// <sys.prefix>/share/jupyter/kernels (plus /usr/local/share/jupyter and /usr/share/jupyter, and the
// user's dir). On a DSVM that env is conda's (/anaconda, /anaconda/envs/py38_default or /opt/conda,
// depending on the image), so the default is the env of the `jupyter` on PATH.
async function resolveTarget($, which, opts) {
  const jupyter = which.sync('jupyter', { nothrow: true })
  if (jupyter) say(`ok    jupyter at ${jupyter}`)
  // Without jupyter, --prefix and --user still know where to write; the default (--sys-prefix) fails below.
  else if (opts.prefix || opts.user) say('note  jupyter is not on PATH: kernel.json will be written directly')
  if (opts.prefix) return { jupyter, flag: ['--prefix', opts.prefix], where: `--prefix ${opts.prefix}`, kernels: path.join(opts.prefix, 'share', 'jupyter', 'kernels') }
  if (opts.user) {
    const dataDir = jupyter ? await capture($, $`${jupyter} --data-dir`, 'jupyter --data-dir') : userDataDir()
    return { jupyter, flag: ['--user'], where: '--user', kernels: path.join(dataDir, 'kernels') }
  }
  if (!jupyter) {
    const found = KNOWN_JUPYTERS.filter((p) => fs.existsSync(p))
    throw new SetupError(
      'jupyter is not on PATH, so its environment (--sys-prefix, the default) is unknown',
      (found.length ? `found ${found.join(', ')}: put the one JupyterHub uses first on PATH, e.g. PATH=${path.dirname(found[0])}:$PATH (under sudo: sudo env "PATH=$PATH" npx zx …)\n  or ` : '') +
        'pass --prefix <env dir> (or --prefix /usr/local for every Jupyter on the machine) or --user',
    )
  }
  const python = pythonOf(which, jupyter)
  let prefix = ''
  if (python) prefix = await capture($, $`${python} -c ${'import sys; print(sys.prefix)'}`, `${python} -c 'print(sys.prefix)'`)
  else {
    // A wrapper (pyenv shim …): jupyter's own help spells out what --sys-prefix means.
    const help = await capture($, $`${jupyter} kernelspec install --help`, 'jupyter kernelspec install --help')
    const m = /--sys-prefix\s*\n[^[]*\[--InstallKernelSpec\.prefix=([^\]\n]+)\]/.exec(help)
    if (!m) throw new SetupError(`cannot tell which environment ${jupyter} runs in`, 'pass --prefix <its env dir> instead')
    prefix = m[1].trim()
  }
  return { jupyter, flag: ['--sys-prefix'], where: `--sys-prefix (${prefix})`, kernels: path.join(prefix, 'share', 'jupyter', 'kernels') }
}

// tfjs-node-gpu's CUDA 11 libraries, when environments/dsvm/setup-tfjs-gpu.mjs installed them (its
// tfjs-gpu.json lists their folders): the loader reads LD_LIBRARY_PATH only when a process starts,
// so the kernel gets it from its spec.
function tfjsGpuLibraryPath() {
  const dirs = readManifest(defaultDir())?.libraryPath
  return Array.isArray(dirs) ? dirs.join(':') : ''
}

// Template -> files of the installed spec: kernel.json with absolute paths, other files (logos) as they are.
function renderSpec(node, target) {
  const spec = JSON.parse(fs.readFileSync(path.join(TEMPLATE_DIR, 'kernel.json'), 'utf8'))
  spec.argv = spec.argv.map((a) => (a === '@NODE@' ? node : a === '@LAUNCHER@' ? LAUNCHER : a))
  if (target) spec.env = Object.assign({}, spec.env, { CUSTOM_AI_TARGET: target })
  const cuda11 = tfjsGpuLibraryPath()
  if (cuda11) {
    spec.env = Object.assign({}, spec.env, { LD_LIBRARY_PATH: cuda11 })
    say(`ok    tfjs-node-gpu's CUDA 11 libraries (${defaultDir()}) go on the kernel's LD_LIBRARY_PATH`)
  }
  if (spec.argv.some((a) => /^@[A-Z_]+@$/.test(a)))
    throw new SetupError(`unknown placeholder left in ${path.join(TEMPLATE_DIR, 'kernel.json')}`)
  const files = { 'kernel.json': Buffer.from(JSON.stringify(spec, null, 2) + '\n') }
  for (const name of fs.readdirSync(TEMPLATE_DIR)) {
    if (name !== 'kernel.json') files[name] = fs.readFileSync(path.join(TEMPLATE_DIR, name))
  }
  return files
}

function sameAsInstalled(dir, files) {
  return Object.keys(files).every((name) => {
    try {
      return fs.readFileSync(path.join(dir, name)).equals(files[name])
    } catch (e) {
      return false
    }
  })
}

function writeSpec(dir, files) {
  fs.mkdirSync(dir, { recursive: true })
  fs.chmodSync(dir, 0o755) // JupyterHub users other than the installer must read it
  for (const name of Object.keys(files)) {
    fs.writeFileSync(path.join(dir, name), files[name])
    fs.chmodSync(path.join(dir, name), 0o644)
  }
}

function checkWritable(dir) {
  let d = dir
  while (!fs.existsSync(d)) d = path.dirname(d)
  try {
    fs.accessSync(d, fs.constants.W_OK)
  } catch (e) {
    throw new SetupError(`cannot write to ${d} (for ${dir})`, 'run it with sudo, keeping your PATH: sudo env "PATH=$PATH" npx zx environments/dsvm/setup-tslab.mjs …, or install for yourself only with --user')
  }
}

// Warn about what would make a system-wide kernel work for the installer only.
function warnIfPrivate(node) {
  const home = os.homedir()
  if (home && (node + path.sep).startsWith(home + path.sep))
    say(`warn  the kernel runs ${node}, inside ${home} (nvm?): other JupyterHub users may not run it; install Node system-wide and use --node /usr/bin/node`)
  for (let d = REPO; ; d = path.dirname(d)) {
    if ((fs.statSync(d).mode & 0o005) !== 0o005) {
      say(`warn  ${d} is not readable by other users, so their kernels cannot load tslab from ${REPO}; chmod o+rx it, or keep the repo somewhere shared such as /opt`)
      break
    }
    if (path.dirname(d) === d) break
  }
}

async function main() {
  const opts = parseArgs(scriptArgs())
  if (opts.help) return say(USAGE)
  const { $, which } = await loadZx()
  $.verbose = false
  // A bare name (--node node) is looked up on PATH; a path is made absolute.
  let node = process.execPath
  if (opts.node) node = opts.node.indexOf(path.sep) < 0 ? which.sync(opts.node, { nothrow: true }) || opts.node : path.resolve(opts.node)
  const pre = opts.dryRun ? '[dry-run] ' : ''
  say(`${pre}custom-ai: Jupyter kernel "TypeScript (custom-ai)" for ${REPO}`)

  await checkNode($, node)
  await ensureTslab($, node, opts.dryRun)
  if (fs.existsSync(TSLAB_BIN)) await checkTslabLoads($, node)
  const target = await resolveTarget($, which, opts)
  const files = renderSpec(node, opts.target)
  const dest = path.join(target.kernels, KERNEL_NAME)
  if (!opts.user) warnIfPrivate(node)

  if (sameAsInstalled(dest, files)) {
    say(`ok    kernelspec ${KERNEL_NAME} is already installed and unchanged at ${dest}`)
  } else if (opts.dryRun) {
    const how = target.jupyter ? `jupyter kernelspec install --name ${KERNEL_NAME} --replace ${target.flag.join(' ')}` : 'direct write'
    say(`[dry-run] would install kernelspec ${KERNEL_NAME} into ${dest} (${how}), kernel.json:`)
    say(files['kernel.json'].toString().replace(/^/gm, '    ').trimEnd())
  } else {
    checkWritable(target.kernels)
    if (target.jupyter) {
      // Stage the rendered spec; jupyter copies the folder as it is, so it must be world-readable.
      const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'custom-ai-kernel-'))
      try {
        writeSpec(path.join(stage, KERNEL_NAME), files)
        await capture($, $`${target.jupyter} kernelspec install ${path.join(stage, KERNEL_NAME)} --name ${KERNEL_NAME} --replace ${target.flag}`, 'jupyter kernelspec install')
      } finally {
        if (fs.rmSync) fs.rmSync(stage, { recursive: true, force: true })
        else fs.rmdirSync(stage, { recursive: true })
      }
      if (!sameAsInstalled(dest, files))
        throw new SetupError(`jupyter kernelspec install did not put the spec at ${dest}`, 'run `jupyter kernelspec list` to see where it went, and pass --prefix explicitly')
      say(`done  installed kernelspec ${KERNEL_NAME} into ${dest} (jupyter kernelspec install ${target.where})`)
    } else {
      writeSpec(dest, files)
      say(`done  wrote ${path.join(dest, 'kernel.json')}`)
    }
  }
  say(`${pre}check: jupyter kernelspec list   (lists ${KERNEL_NAME}); in JupyterLab, reload the page and pick "TypeScript (custom-ai)"`)
  say(`${pre}remove: jupyter kernelspec remove -y ${KERNEL_NAME}   (or rm -r ${dest})`)
}

main().catch((e) => {
  if (!(e instanceof SetupError)) throw e
  console.error(`custom-ai setup-tslab: error: ${e.message}`)
  if (e.hint) console.error(`  ${e.hint.replace(/\n/g, '\n  ')}`)
  process.exitCode = 1
})
