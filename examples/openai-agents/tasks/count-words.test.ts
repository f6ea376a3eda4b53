import { expect, test } from 'vitest'

test('counts the words of the notes @validation', async ({ agent, workspace }) => {
  await workspace.write('notes.txt', 'ship the release on friday after the review\n')
  await agent.run('Make a folder out and copy notes.txt into it as out/notes.bak; write the number of words in notes.txt, alone, to out/count.txt; then list the files in out, sorted, one per line, in out/index.txt.')
  expect(await workspace.read('out/notes.bak')).toBe('ship the release on friday after the review\n')
  expect((await workspace.read('out/count.txt')).trim()).toBe('8')
  expect(await workspace.read('out/index.txt')).toBe('count.txt\nnotes.bak\n')
})
