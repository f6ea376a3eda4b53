import { expect, test } from 'vitest'

test('commits the changelog @train', async ({ agent, workspace }) => {
  await workspace.exec('git init -q -b main && printf "# Changelog\\n" > CHANGELOG.md')
  await agent.run('Add the line "## 1.2.0" at the end of CHANGELOG.md and commit the file with the message "docs: changelog for 1.2.0".')
  const log = await workspace.exec('git log -1 --format=%s')
  expect(log.stdout.trim()).toBe('docs: changelog for 1.2.0')
  expect(await workspace.read('CHANGELOG.md')).toContain('## 1.2.0')
})
