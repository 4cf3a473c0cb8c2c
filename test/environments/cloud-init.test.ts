// environments/dsvm/cloud-init.yaml parses as cloud-config and provisions what the README says.
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { YAML } from 'zx'
import { describe, expect, it } from 'vitest'

const FILE = fileURLToPath(new URL('../../environments/dsvm/cloud-init.yaml', import.meta.url))

describe('environments/dsvm/cloud-init.yaml', () => {
  const text = fs.readFileSync(FILE, 'utf8')
  const doc = YAML.parse(text) as {
    packages: string[]
    write_files: { path: string; permissions: string; content: string }[]
    runcmd: string[][]
  }

  it('is cloud-config YAML', () => {
    expect(text.split('\n')[0]).toBe('#cloud-config')
    expect(doc.packages).toEqual(expect.arrayContaining(['git', 'curl', 'gnupg']))
  })

  it('installs Node 24 LTS from NodeSource and runs the setup script into /usr/local', () => {
    const [script] = doc.write_files
    expect(script.permissions).toBe('0755')
    expect(doc.runcmd).toEqual([['bash', script.path]])
    expect(script.content).toMatch(/^#!\/bin\/bash\nset -euo pipefail\n/)
    expect(script.content).toContain('https://deb.nodesource.com/node_24.x nodistro main')
    expect(script.content).toContain('npx zx environments/dsvm/setup-tslab.mjs --prefix /usr/local')
    // placeholders only, no credentials
    expect(script.content).toContain("REPO_URL='@REPO_URL@'")
    expect(script.content).not.toMatch(/token|password|secret/i)
    expect(script.content).not.toMatch(/https:\/\/[^/\s'"]*@/) // user:pass@host
  })
})
