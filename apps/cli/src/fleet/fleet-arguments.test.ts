import { describe, expect, it } from 'vitest'
import { parseCliArguments } from '../cli-arguments'

describe('orchestrator fleet arguments', () => {
  it('parses submit with a mission, a budget and a batch ceiling', () => {
    expect(parseCliArguments(['fleet', 'submit', '--repo', '/srv/app.git', '--budget', 'tokens=2000,usd=1.5', '--batch', 'nightly', '--batch-max-tokens', '90000', 'Add', 'a', 'slugify'])).toEqual({
      name: 'fleet',
      action: 'submit',
      redisUrl: undefined,
      queueName: undefined,
      goal: 'Add a slugify',
      repo: '/srv/app.git',
      ref: undefined,
      fromFile: undefined,
      budget: { maxTokens: 2000, maxCostUsd: 1.5 },
      batch: 'nightly',
      batchMaxTokens: 90000,
      json: false,
    })
  })

  it('parses the worker with fleet-wide provider caps', () => {
    expect(parseCliArguments(['fleet', 'worker', '--concurrency', '3', '--provider-cap', 'anthropic=8,openai=2', '--redis', 'redis://r:6379'])).toMatchObject({
      action: 'worker',
      concurrency: 3,
      providerCaps: { anthropic: 8, openai: 2 },
      redisUrl: 'redis://r:6379',
    })
  })

  it.each([
    [['fleet'], /needs one of: submit, worker/],
    [['fleet', 'sbumit'], /got 'sbumit'/],
    [['fleet', 'submit', 'x'], /Missing --repo/],
    [['fleet', 'submit', '--repo', '/a'], /Missing mission text/],
    [['fleet', 'submit', '--repo', '/a', '--from-file', 'm.jsonl', 'text'], /not both/],
    [['fleet', 'submit', '--repo', '/a', '--budget', 'tokens=-1', 'x'], /positive number/],
    [['fleet', 'submit', '--repo', '/a', '--batch-max-tokens', '5', 'x'], /needs --batch/],
    [['fleet', 'worker', '--concurrency', '0'], /whole number ≥ 1/],
    [['fleet', 'worker', '--provider-cap', 'anthropic'], /is not provider=N/],
    [['fleet', 'worker', '--bogus'], /Unknown option '--bogus'/],
    [['fleet', 'cancel'], /Missing job id/],
    [['fleet', 'cancel', '--', '-rf'], /is not a fleet job id/],
    [['fleet', 'logs', 'fm-1', 'fm-2'], /takes one job id/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseCliArguments(argv)).toThrow(message)
  })
})
