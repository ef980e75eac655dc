/**
 * The parts of the `yaml` package that config loading uses, behind one
 * module that load.ts imports only when there is a .ko.yaml (a static import
 * here, so bundling keeps the package's named exports).
 */
export { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
