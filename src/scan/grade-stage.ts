import { isGradeboothError } from '../core/errors.ts';
import type { Stage } from '../jobs/stage.ts';
import type { CardFrame } from '../grading/card-frame.ts';
import { sideMapsOf } from '../grading/capture-side.ts';
import { gradeCard, gradeSide, type SideGrade } from '../grading/grade.ts';
import { measureSideAsync } from '../grading/measure.ts';
import { buildReport, reportFiles } from '../grading/report.ts';
import type { CardSideMaps, SurfaceDetector } from '../grading/types.ts';
import type { GradeRepository } from '../storage/grades.ts';
import type { CardSpec } from '../vision/segment.ts';
import type { ScanState, SideState } from './scan.ts';
import { resultMessages, type AnnouncedDefect, type ResultAnnouncer } from './result-messages.ts';
import type { ShadowContext } from '../sync/model-rollout.ts';

/** What the grading stage needs: the card's size, where grades go, and the surface detector. */
export interface GradingServices {
  card: CardSpec;
  grades: GradeRepository;
  /** Opens the learned surface detector (GB_MODEL_MISSING when none is installed). */
  openDetector: () => Promise<SurfaceDetector>;
  /** The fleet outbox: the card's results are queued in the grade's transaction (absent: not announced). */
  results?: ResultAnnouncer;
  /**
   * Model rollout (src/sync/model-rollout.ts): after the grading model ran on a side, a candidate model runs
   * in shadow beside it (or the previous model during a new one's probation). Must not throw; the grade is
   * the grading model's whatever it records.
   */
  compareModels?: (ctx: ShadowContext) => Promise<void>;
}

interface Graded { grade: SideGrade; maps: CardSideMaps; frame: CardFrame }

/**
 * The scan's side stage `grade-<side>`: measures the reconstructed side and runs the surface detector;
 * after the last side it grades the card, builds the report and stores its files; the grade's rows and the
 * fleet results announcing it are left to the last side's publish stage, which commits them with the
 * scan's completion and the job's end in one transaction (a crash in between leaves none of them). Without a surface model the side is still measured, the job's result says why there is
 * no grade (GB_MODEL_MISSING), and no grade row is written: never a grade without its surface.
 */
export function gradeSideStages(g: GradingServices): (side: SideState) => ReadonlyArray<Stage<ScanState>> {
  const graded = new WeakMap<SideState, Graded>();
  const detectors = new WeakMap<ScanState, Promise<SurfaceDetector>>();
  return (side) => [{
    name: `grade-${side.side}`,
    async run(state, job) {
      const r = side.reconstruction;
      if (!r) throw new Error(`grade-${side.side}: no reconstruction`);
      const t0 = performance.now();
      const maps = sideMapsOf(r, side.side);
      job.progress(0.4, 'measurements and surface defects');
      let detector: SurfaceDetector | undefined;
      let surfaceError: string | undefined;
      let surfaceCode: string | undefined;
      let surfaceMessage: string | undefined;
      try {
        let p = detectors.get(state);
        if (!p) { p = g.openDetector(); detectors.set(state, p); }
        detector = await p;
      } catch (err) {
        surfaceError = isGradeboothError(err) ? `${err.code}: ${err.message}` : String(err);
        surfaceCode = isGradeboothError(err) ? err.code : 'GB_MODEL_FAILED';
        surfaceMessage = err instanceof Error ? err.message : String(err);
      }
      // The measurements beside the surface detector: they yield between their steps, so the detector's
      // resampling and features (libuv's pool) and its network (onnxruntime's threads) start and finish
      // while they run (detectMs therefore includes the measurement steps run in between).
      const tDetect = performance.now();
      let detectMs = 0;
      const [m, surface] = await Promise.all([
        measureSideAsync(maps, g.card),
        detector ? detector.detect(maps).then((d) => { detectMs = performance.now() - tDetect; return d; }) : undefined,
      ]);
      if (g.compareModels) {
        await g.compareModels({
          maps,
          side: side.side,
          scanId: side.scanId,
          graded: detector && surface ? { model: detector.model, defects: surface, ms: detectMs } : undefined,
          surfaceGrade: (defects) => gradeSide(side.side, m.frame, m.centering, m.outline, defects).subgrades.surface?.grade ?? null,
        });
      }
      graded.set(side, { grade: gradeSide(side.side, m.frame, m.centering, m.outline, surface, surfaceError), maps, frame: m.frame });
      side.timings.grade = performance.now() - t0;
      if (!state.sides.every((s) => graded.has(s))) return;
      // The last side: the card's grade, its report, and the stored grade.
      job.progress(0.7, 'report');
      const sides = state.sides.map((s) => graded.get(s) as Graded);
      const card = gradeCard(sides.map((s) => s.grade), detector?.model);
      const report = await buildReport(card, sides.map((s) => ({ maps: s.maps, frame: s.frame })), { title: `${state.barcode} (${state.sides.map((s) => s.side).join(' + ')})` });
      job.throwIfCancelled();
      // Every defect as stored (and as announced): severity is what it cost, or a tenth of its confidence.
      const defects = card.sides.flatMap((s, i) => s.defects.map((d, k) => {
        const cost = s.deductions.filter((x) => x.defect === k).reduce((a, x) => a + x.points, 0);
        return { side: s.side, category: d.category, kind: d.type, xMm: d.centerMm[0], yMm: d.centerMm[1], widthMm: d.widthMm, lengthMm: d.lengthMm, depthUm: d.depthUm, severity: Math.min(1, cost > 0 ? cost / 5 : d.confidence * 0.1), image: report.images[i].crops[k] };
      }));
      const announced: AnnouncedDefect[] = defects.map(({ image: _image, ...d }) => d);
      const scans = state.sides.map((s) => ({ side: s.side, scanId: s.scanId }));
      let gradeId: string | undefined;
      let files: Record<string, { sha256: string; mediaType: string }> | undefined;
      if (card.grade !== undefined && card.score1000 !== undefined) {
        const toStore = reportFiles(report, card);
        const gradedAt = new Date();
        // The report's files now (journaled: a crash or cancel before the commit deletes them); the grade's
        // rows and the results announcing it commit with the last side's scan and the job's end (publish).
        const prepared = await g.grades.prepare({
          cardId: state.cardId, jobId: job.jobId, overall: card.grade, score1000: card.score1000,
          centering: card.subgrades.centering?.grade, corners: card.subgrades.corners?.grade, edges: card.subgrades.edges?.grade, surface: card.subgrades.surface?.grade,
          report: toStore[0], files: toStore.slice(1), defects, createdBy: job.requestedBy, now: gradedAt,
        }, (bytes) => job.putFile(bytes));
        const results = g.results;
        const messages = results ? resultMessages(card, { barcode: state.barcode, jobId: job.jobId, scans, gradeId: prepared.id, defects: announced, reason: null, gradedAt }) : undefined;
        state.commitWithLastSide = () => {
          prepared.insert();
          return messages && results ? results.enqueue(messages) : undefined;
        };
        gradeId = prepared.id;
        // The report's files by name (report.html, overlays, crops): the result screen links them.
        files = prepared.files;
      } else if (g.results) {
        // Measured but not graded (no surface model, or a subgrade not measurable): no grade row exists; the
        // results say why there is no grade, queued with the scan's own commit all the same.
        const results = g.results;
        const messages = resultMessages(card, { barcode: state.barcode, jobId: job.jobId, scans, gradeId: null, defects: announced, reason: noGradeReason(surfaceCode, surfaceMessage, card.incomplete), gradedAt: new Date() });
        state.commitWithLastSide = () => results.enqueue(messages);
      }
      if (detector) await detector.close();
      state.grade = { ...report.json, ...(gradeId ? { gradeId } : {}), ...(files ? { files } : {}), ...(surfaceError ? { error: surfaceError } : {}) };
      for (const s of state.sides) graded.delete(s);
    },
  }];
}

/** Why a measured card has no overall grade, as a coded reason for the fleet. */
function noGradeReason(surfaceCode: string | undefined, surfaceMessage: string | undefined, incomplete: string | undefined): { code: string; message: string } {
  if (surfaceCode !== undefined) return { code: surfaceCode, message: surfaceMessage ?? surfaceCode };
  return { code: 'GB_NOT_GRADED', message: incomplete ?? 'the card could not be graded' };
}
