import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildMissionTimeline } from './build-mission-timeline'
import type { MissionTimeline } from './mission-timeline'
import { renderMissionReport } from './render-mission-report'
import { sampleMission, wideMission } from './sample-mission.test-helper'

// Debian's own Chromium: Playwright's browser download cannot run on these machines.
const CHROMIUM = '/usr/bin/chromium'
const OUTPUT = resolve(dirname(fileURLToPath(import.meta.url)), '../test-output')

let context: BrowserContext
let workDirectory: string

/** Loads a rendered report and collects everything that went wrong while it loaded. */
async function openReport(timeline: MissionTimeline, name: string): Promise<{ page: Page; problems: string[] }> {
  const file = join(workDirectory, `${name}.html`)
  await writeFile(file, renderMissionReport(timeline), 'utf8')
  const page = await context.newPage()
  const problems: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`)
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  page.on('request', (request) => {
    if (!request.url().startsWith('file:') && !request.url().startsWith('data:')) problems.push(`network request: ${request.url()}`)
  })
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' })
  return { page, problems }
}

describe('mission report in a real browser', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is not installed at ${CHROMIUM}. Install Debian's browser with: apt-get install -y chromium`)
    }
    workDirectory = await mkdtemp(join(tmpdir(), 'orchestrator-report-'))
    context = await chromium.launchPersistentContext(join(workDirectory, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 900 },
      deviceScaleFactor: 1,
    })
    await mkdir(OUTPUT, { recursive: true })
  })

  afterAll(async () => {
    await context?.close()
    if (workDirectory) await rm(workDirectory, { recursive: true, force: true })
  })

  it('loads without errors and shows one lane per session and one row per todo', async () => {
    const timeline = buildMissionTimeline(sampleMission())
    const { page, problems } = await openReport(timeline, 'report')

    expect(problems).toEqual([])
    await expect(page.locator('svg.timeline').count()).resolves.toBe(1)
    expect(await page.locator('svg.timeline [data-lane]').count()).toBe(timeline.lanes.length)
    expect(timeline.lanes).toHaveLength(6)
    expect(await page.locator('table.todos tbody tr').count()).toBe(timeline.todos.length)
    expect(await page.locator('table.tasks tbody tr').count()).toBe(timeline.tasks.length)
    // The goal carries a <script> tag: it must arrive as text, never as an element.
    expect(await page.locator('script').count()).toBe(0)
    expect(await page.locator('h1.goal').textContent()).toContain('<script>alert("x")</script>')
    // The page fits the 1280 px viewport: no horizontal scrolling.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1280)

    const screenshot = join(OUTPUT, 'report.png')
    await page.screenshot({ path: screenshot, fullPage: true })
    console.log(`mission report screenshot: ${screenshot}`)
  })

  it('stays readable with 60 sessions', async () => {
    const timeline = buildMissionTimeline(wideMission(60))
    const { page, problems } = await openReport(timeline, 'report-wide')

    expect(problems).toEqual([])
    expect(await page.locator('svg.timeline [data-lane]').count()).toBe(61)
    const box = await page.locator('svg.timeline').boundingBox()
    expect(box?.height).toBeLessThan(1100)

    const screenshot = join(OUTPUT, 'report-wide.png')
    await page.screenshot({ path: screenshot, fullPage: true })
    console.log(`mission report screenshot (60 sessions): ${screenshot}`)
  })
})
