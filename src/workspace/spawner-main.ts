// The command helper process (see spawner.ts): starts the processes its parent asks for and answers with what they
// did. It holds nothing but this, so starting a process from it is cheap. When the parent goes away (even killed),
// the channel closes and the helper exits, killing the process groups still running.
import { launch } from './launch.js'
import type { HelperRequest, HelperResponse } from './spawner.js'

const answer = (response: HelperResponse): void => {
  if (process.connected) process.send?.(response)
}

process.on('message', (request: HelperRequest) => {
  launch(request.spec).then(
    (outcome) => answer({ id: request.id, outcome }),
    (error: unknown) => answer({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
  )
})
process.on('disconnect', () => process.exit(0))
