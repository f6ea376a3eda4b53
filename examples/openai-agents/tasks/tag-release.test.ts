import { expect, test } from 'vitest'

test('tags a release @train', async ({ agent, workspace }) => {
  await workspace.exec('git init -q -b main && echo "2.0.0" > VERSION')
  await agent.run('Commit the file VERSION with the message "release: 2.0.0", then tag that commit v2.0.0.')
  const tag = await workspace.exec('git describe --tags --exact-match HEAD')
  expect(tag.stdout.trim()).toBe('v2.0.0')
})
