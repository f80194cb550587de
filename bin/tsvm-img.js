#!/usr/bin/env node
import { start } from '../dist/src/host/node/cli/img.js';

start();
