// Every public entry point except @charrnn/train/tfjs, whose TensorFlow.js types reach
// @tensorflow/tfjs-core 4.22: its declarations reference @webgpu/types 0.1.38, which TypeScript 7's
// DOM library now declares itself. None of these entries loads tfjs-core's types.
import * as data from '@charrnn/data';
import * as dataNode from '@charrnn/data/node';
import * as contract from '@charrnn/contract';
import * as contractNode from '@charrnn/contract/node';
import * as graph from '@charrnn/graph';
import * as train from '@charrnn/train';
import * as trainBrowser from '@charrnn/train/browser';
import * as exportMain from '@charrnn/export';
import * as exportBrowser from '@charrnn/export/browser';
import * as inferWeb from '@charrnn/infer-web';
import * as inferWebNode from '@charrnn/infer-web/node';
import * as element from '@charrnn/infer-web/element';
import * as serve from '@charrnn/serve';

export const entries: readonly unknown[] = [data, dataNode, contract, contractNode, graph, train, trainBrowser, exportMain, exportBrowser, inferWeb, inferWebNode, element, serve];
