// The learned surface-defect detector: load (verified) → detect(CardSideMaps) → SurfaceDefect[].
export { loadSurfaceDetector, resolveSurfaceModelDir, readVerifiedSurfaceModel, defaultModelsRoot, surfaceModelName } from './load.ts';
export { OnnxSurfaceDetector, defaultTiling, type SurfaceTimings, type TilingOptions } from './detector.ts';
export { surfaceModelClasses, defectTypeOfClass } from './classes.ts';
export { validateSurfaceManifest, type SurfaceModelManifest, type SurfacePostprocess } from './manifest.ts';
